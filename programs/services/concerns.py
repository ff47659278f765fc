"""Confidential concerns (seed 000: "a confidential path to someone outside the pair").

Raising a concern changes nothing the other party could notice: no relationship field, no
count, no email to them. Directors are alerted by email (without the text), acknowledge and
resolve it with notes, and every view is logged in the append-only audit log."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.access import concern_alert_recipients
from programs.models import (
    AuditEvent,
    Concern,
    ConcernCategory,
    ConcernNote,
    ConcernStatus,
    Relationship,
    RelationshipMember,
)
from programs.services.audit import audit_record

VIEW_VERB = "concern.view"
# Views of the same concern by the same person within this window are one visit.
VIEW_WINDOW = timedelta(hours=1)


@transaction.atomic
def concern_raise(*, relationship: Relationship, category: str, text: str, by: User) -> Concern:
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
    # Planned with the concern, sent after commit; the email names nobody and quotes nothing.
    notifications_send_soon(
        Planned(
            recipient_id=person.user_id,
            kind=Kind.CONCERN_ALERT,
            subject=f"concern:{concern.pk}",
            cycle="alert",
            program_id=relationship.program_id,
        )
        for person in concern_alert_recipients(concern)
    )
    return concern


def _lock(concern: Concern) -> Concern:
    return (
        Concern.objects.select_for_update(of=("self",))
        .select_related("relationship__program")
        .get(pk=concern.pk)
    )


@transaction.atomic
def concern_acknowledge(*, concern: Concern, by: User) -> Concern:
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
def concern_resolve(*, concern: Concern, resolution: str, by: User) -> Concern:
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
def concern_reopen(*, concern: Concern, by: User) -> Concern:
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
def concern_note_add(*, concern: Concern, text: str, by: User) -> ConcernNote:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the note first."})
    note = ConcernNote.objects.create(concern=concern, author=by, text=text)
    audit_record(
        actor=by, verb="concern.note", target=concern, program=concern.relationship.program
    )
    return note


def concern_record_view(*, concern: Concern, by: User) -> None:
    """Every opening of a concern is logged (who, when), whoever opens it: one row per visit,
    so reloading the page (or coming back to it within the hour) adds nothing."""
    recent = AuditEvent.objects.filter(
        verb=VIEW_VERB,
        object_type=Concern._meta.label_lower,
        object_id=str(concern.pk),
        actor=by,
        at__gte=timezone.now() - VIEW_WINDOW,
    )
    if not recent.exists():
        audit_record(actor=by, verb=VIEW_VERB, target=concern, program=concern.relationship.program)


def concern_views(*, concern: Concern) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        verb=VIEW_VERB, object_type=Concern._meta.label_lower, object_id=str(concern.pk)
    ).select_related("actor__profile")
