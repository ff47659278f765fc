"""Confidential concerns (seed 000: "a confidential path to someone outside the pair").

Raising a concern changes nothing the other party could notice: no relationship field, no
count, no email to them. Directors are alerted by email (without the text), acknowledge and
resolve it with notes, and every view is logged in the append-only audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from mentorship.queue import enqueue_on_commit
from programs.access import concern_alert_recipients
from programs.emails import absolute_url, send_email
from programs.models import (
    AuditEvent,
    Concern,
    ConcernCategory,
    ConcernNote,
    ConcernStatus,
    Relationship,
    RelationshipMember,
)

from .audit import audit_record

VIEW_VERB = "concern.view"


@transaction.atomic
def concern_raise(*, relationship: Relationship, category: str, text: str, by: Any) -> Concern:
    """Anyone who is (or was, if it has ended) in the relationship may raise a concern — also
    after it has ended, since the hardest things are often reported afterwards."""
    member = (
        RelationshipMember.objects.select_related("person")
        .filter(relationship=relationship, person__user=by, left_at__isnull=True)
        .first()
    )
    if member is None:
        raise ValidationError("Only the people in this relationship can raise a concern about it.")
    if category not in ConcernCategory.values:
        raise ValidationError({"category": "Choose what the concern is about."})
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Tell the directors what happened."})
    concern = Concern.objects.create(
        relationship=relationship, raised_by=member.person, category=category, text=text
    )
    audit_record(actor=by, verb="concern.raise", target=concern, program=relationship.program)
    from programs.tasks import send_concern_alert

    enqueue_on_commit(send_concern_alert, concern.pk)
    return concern


def _lock(concern: Concern) -> Concern:
    return (
        Concern.objects.select_for_update(of=("self",))
        .select_related("relationship__program")
        .get(pk=concern.pk)
    )


@transaction.atomic
def concern_acknowledge(*, concern: Concern, by: Any) -> Concern:
    concern = _lock(concern)
    if concern.status == ConcernStatus.OPEN:
        concern.status = ConcernStatus.ACKNOWLEDGED
        concern.acknowledged_at = timezone.now()
        concern.acknowledged_by = by
        concern.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        audit_record(
            actor=by,
            verb="concern.acknowledge",
            target=concern,
            program=concern.relationship.program,
        )
    return concern


@transaction.atomic
def concern_resolve(*, concern: Concern, resolution: str, by: Any) -> Concern:
    concern = _lock(concern)
    if concern.status == ConcernStatus.RESOLVED:
        raise ValidationError("This concern is already resolved.")
    resolution = resolution.strip()
    if not resolution:
        raise ValidationError(
            {"resolution": "Say what was done; the person who raised it will read this."}
        )
    now = timezone.now()
    if concern.acknowledged_at is None:
        concern.acknowledged_at, concern.acknowledged_by = now, by
    concern.status = ConcernStatus.RESOLVED
    concern.resolution = resolution
    concern.resolved_at, concern.resolved_by = now, by
    concern.save(
        update_fields=[
            "status",
            "resolution",
            "resolved_at",
            "resolved_by",
            "acknowledged_at",
            "acknowledged_by",
        ]
    )
    audit_record(
        actor=by, verb="concern.resolve", target=concern, program=concern.relationship.program
    )
    return concern


@transaction.atomic
def concern_reopen(*, concern: Concern, by: Any) -> Concern:
    concern = _lock(concern)
    if concern.status != ConcernStatus.RESOLVED:
        raise ValidationError("Only a resolved concern can be reopened.")
    concern.status = ConcernStatus.ACKNOWLEDGED
    concern.resolved_at = concern.resolved_by = None
    concern.save(update_fields=["status", "resolved_at", "resolved_by"])
    audit_record(
        actor=by, verb="concern.reopen", target=concern, program=concern.relationship.program
    )
    return concern


@transaction.atomic
def concern_note_add(*, concern: Concern, text: str, by: Any) -> ConcernNote:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the note first."})
    note = ConcernNote.objects.create(concern=concern, author=by, text=text)
    audit_record(
        actor=by, verb="concern.note", target=concern, program=concern.relationship.program
    )
    return note


def concern_record_view(*, concern: Concern, by: Any) -> None:
    """Every opening of a concern is logged (who, when), whoever opens it."""
    audit_record(actor=by, verb=VIEW_VERB, target=concern, program=concern.relationship.program)


def concern_views(*, concern: Concern) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        verb=VIEW_VERB, object_type=Concern._meta.label_lower, object_id=str(concern.pk)
    ).select_related("actor__profile")


@transaction.atomic
def concern_alert_directors(*, concern_id: int) -> int:
    """Email the program's directors that a concern is waiting — never its text, never to
    anyone in the relationship. Idempotent."""
    concern = (
        Concern.objects.select_for_update(of=("self",))
        .select_related("relationship__program")
        .filter(pk=concern_id)
        .first()
    )
    if concern is None or concern.directors_alerted_at is not None:
        return 0
    recipients = concern_alert_recipients(concern)
    url = absolute_url(reverse("concern_detail", args=[concern.pk]))
    for person in recipients:
        send_email(
            to=person.user.email,
            template="concern_alert",
            context={
                "program": concern.relationship.program,
                "person": person,
                "concern": concern,
                "url": url,
            },
        )
    concern.directors_alerted_at = timezone.now()
    concern.save(update_fields=["directors_alerted_at"])
    return len(recipients)


def concerns_unalerted(*, older_than: timedelta = timedelta(minutes=10)) -> list[int]:
    """Concerns whose alert never went out (e.g. the broker was down)."""
    cutoff = timezone.now() - older_than
    return list(
        Concern.objects.filter(
            directors_alerted_at__isnull=True, created_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
