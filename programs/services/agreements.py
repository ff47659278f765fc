"""The written agreement of a relationship: drafted, confirmed by every party, and versioned.

While a version is still being agreed, edits change it in place and clear the confirmations
(each confirmation is of one wording). Once every member has confirmed a version it is in force,
and later edits start a new version; both parties see what changed against the one in force."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mentorship.accounts.models import User
from programs.access import versions_readable_by
from programs.domain.dates import add_months
from programs.models import (
    DEFAULT_CONFIDENTIALITY,
    DEFAULT_CREDIT,
    Agreement,
    AgreementConfirmation,
    AgreementVersion,
    CommunicationMode,
    Goal,
    MeetingCadence,
    MemberSide,
    MenteeCommitment,
    MentorCommitment,
    Relationship,
    RelationshipMember,
)
from programs.services.audit import audit_record
from programs.services.guards import lock_relationship, require_open
from programs.services.guards import require_member as _require_member

AGREEMENT_FIELDS = (
    "cadence_days",
    "modes",
    "mentee_commitments",
    "draft_notice_days",
    "mentee_also",
    "mentor_commitments",
    "mentor_also",
    "other_goals",
    "progress_measures",
    "confidentiality",
    "credit_and_authorship",
    "review_on",
)

FIELD_LABELS = {
    "cadence_days": "How often we meet",
    "modes": "How we meet",
    "mentee_commitments": "What the mentee will do",
    "draft_notice_days": "Notice for drafts (days)",
    "mentee_also": "The mentee will also",
    "mentor_commitments": "What the mentor will do",
    "mentor_also": "The mentor will also",
    "goals": "Goals from the self-evaluation",
    "other_goals": "Other goals for this relationship",
    "progress_measures": "How we will judge progress",
    "confidentiality": "Confidentiality",
    "credit_and_authorship": "Credit and authorship on joint work",
    "review_on": "We review this agreement on",
}


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


class AgreementConflict(ValidationError):
    """Someone else saved the agreement after this person opened it."""


def agreement_defaults(relationship: Relationship) -> dict[str, Any]:
    program = relationship.program
    started = relationship.started_on or timezone.localdate()
    modes = [CommunicationMode.IN_PERSON, CommunicationMode.VIDEO]
    if relationship.is_remote:
        modes = [CommunicationMode.VIDEO, CommunicationMode.EMAIL]
    return {
        "cadence_days": program.meeting_cadence_days,
        "modes": [str(m) for m in modes],
        "mentee_commitments": list(MenteeCommitment.values),
        "draft_notice_days": 7,
        "mentee_also": "",
        "mentor_commitments": list(MentorCommitment.values),
        "mentor_also": "",
        "other_goals": "",
        "progress_measures": "",
        "confidentiality": DEFAULT_CONFIDENTIALITY,
        "credit_and_authorship": DEFAULT_CREDIT,
        "review_on": add_months(started, program.review_cadence_months),
    }


def agreement_start(*, relationship: Relationship) -> Agreement:
    """The draft every relationship starts with, prefilled from the program's defaults."""
    agreement = Agreement.objects.create(relationship=relationship)
    AgreementVersion.objects.create(
        agreement=agreement, number=1, **agreement_defaults(relationship)
    )
    return agreement


def _mentee_goal_ids(relationship: Relationship, by: User) -> set[int]:
    """Goals `by` may put in the agreement: the mentees' goals from versions `by` may read, and
    those already in the agreement (someone put them there for everyone in it)."""
    mentees = RelationshipMember.objects.filter(
        relationship=relationship, side__in=[MemberSide.MENTEE, MemberSide.PEER]
    ).values("person")
    readable = Goal.objects.filter(
        assessment__person__in=mentees, assessment__in=versions_readable_by(by)
    )
    agreed = Goal.objects.filter(agreement_versions__agreement__relationship=relationship)
    return set(readable.values_list("pk", flat=True)) | set(agreed.values_list("pk", flat=True))


def _validate(
    relationship: Relationship, data: Mapping[str, Any], goals: list[Goal], by: User
) -> None:
    errors: dict[str, str] = {}
    if data["cadence_days"] not in MeetingCadence.values:
        errors["cadence_days"] = "Choose how often you will meet."
    modes = data.get("modes") or []
    if not modes:
        errors["modes"] = "Choose at least one way to meet."
    elif set(modes) - set(CommunicationMode.values):
        errors["modes"] = "Choose ways to meet from the list."
    if set(data.get("mentee_commitments") or []) - set(MenteeCommitment.values):
        errors["mentee_commitments"] = "Choose commitments from the list."
    if set(data.get("mentor_commitments") or []) - set(MentorCommitment.values):
        errors["mentor_commitments"] = "Choose commitments from the list."
    review_on: date | None = data.get("review_on")
    if review_on is None:
        errors["review_on"] = "Choose a date to review the agreement together."
    elif review_on <= relationship.started_on:
        errors["review_on"] = (
            "The review must come after the relationship started "
            f"({_day(relationship.started_on)})."
        )
    elif review_on < timezone.localdate():
        errors["review_on"] = "The review date has already passed; choose a date from today on."
    allowed = _mentee_goal_ids(relationship, by)
    if any(g.pk not in allowed for g in goals):
        errors["goals"] = "Choose goals from the mentee's own self-evaluation."
    if errors:
        raise ValidationError(errors)


def _content(version: AgreementVersion, goal_ids: Iterable[int]) -> dict[str, Any]:
    content = {f: getattr(version, f) for f in AGREEMENT_FIELDS}
    content["goals"] = sorted(goal_ids)
    return content


@transaction.atomic
def agreement_save(
    *,
    relationship: Relationship,
    data: Mapping[str, Any],
    goals: Iterable[Goal] = (),
    revision: int,
    by: User,
) -> AgreementVersion:

    relationship = lock_relationship(relationship)
    require_open(relationship)
    member = _require_member(relationship, by)
    agreement = Agreement.objects.select_for_update().get(relationship=relationship)
    if agreement.revision != revision:
        raise AgreementConflict(
            "Someone else changed the agreement while you were editing it. Your changes are kept "
            "below: compare them with the current agreement, then save again."
        )
    goals = list(goals)
    _validate(relationship, data, goals, by)
    latest = agreement.versions.order_by("-number").first()
    assert latest is not None  # every agreement starts with a draft
    new_content = {f: data.get(f, getattr(latest, f)) for f in AGREEMENT_FIELDS}
    new_content["goals"] = sorted(g.pk for g in goals)
    if new_content == _content(latest, latest.goals.values_list("pk", flat=True)):
        return latest  # nothing changed: keep the confirmations
    if latest.confirmed_at is None:
        version = latest
        version.confirmations.all().delete()
    else:
        version = AgreementVersion(agreement=agreement, number=latest.number + 1)
    for field in AGREEMENT_FIELDS:
        setattr(version, field, new_content[field])
    version.edited_by = member.person
    version.save()
    version.goals.set(goals)
    agreement.revision += 1
    agreement.save(update_fields=["revision"])
    # Proposing a wording is agreeing to it: only the others are asked to confirm.
    _record_confirmation(version, member)
    audit_record(
        actor=by,
        verb="agreement.save",
        target=version,
        program=relationship.program,
        number=version.number,
    )
    return version


def _record_confirmation(version: AgreementVersion, member: RelationshipMember) -> None:
    """The member confirms `version`; it comes into force once every current member has."""
    AgreementConfirmation.objects.get_or_create(version=version, person=member.person)
    waiting = RelationshipMember.objects.filter(
        relationship_id=member.relationship_id, left_at__isnull=True
    ).exclude(person__in=version.confirmations.values("person"))
    if not waiting.exists():
        version.confirmed_at = timezone.now()
        version.save(update_fields=["confirmed_at"])


@transaction.atomic
def agreement_confirm(*, relationship: Relationship, revision: int, by: User) -> AgreementVersion:
    """Confirm the wording the person has in front of them (named by the agreement's revision)."""

    relationship = lock_relationship(relationship)
    require_open(relationship)
    member = _require_member(relationship, by)
    agreement = Agreement.objects.select_for_update().get(relationship=relationship)
    if agreement.revision != revision:
        raise AgreementConflict(
            "The agreement changed after you opened it. Read the current wording, then confirm."
        )
    version = agreement.versions.order_by("-number").first()
    assert version is not None
    if version.confirmed_at is not None:
        return version
    _record_confirmation(version, member)
    audit_record(
        actor=by,
        verb="agreement.confirm",
        target=version,
        program=relationship.program,
        number=version.number,
    )
    return version


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _display(version: AgreementVersion, field: str, goals: dict[int, str]) -> str:
    if field == "goals":
        ids = sorted(g.pk for g in version.goals.all())
        return "; ".join(goals.get(pk, "a goal") for pk in ids) or "—"
    value = getattr(version, field)
    if field == "cadence_days":
        return dict(MeetingCadence.choices).get(value, f"every {value} days")
    if field == "modes":
        labels = dict(CommunicationMode.choices)
        return ", ".join(labels.get(m, m) for m in value) or "—"
    if field in ("mentee_commitments", "mentor_commitments"):
        enum = MenteeCommitment if field == "mentee_commitments" else MentorCommitment
        labels = {c: str(label) for c, label in enum.choices}
        return " ".join(labels.get(c, c) for c in value) or "—"
    if field == "review_on":
        return _day(value)
    return str(value) if value not in ("", None) else "—"


def agreement_changes(before: AgreementVersion, after: AgreementVersion) -> list[Change]:
    """What differs between two versions, field by field, in words."""
    goals = {g.pk: g.text for g in [*before.goals.all(), *after.goals.all()]}
    changes = []
    for field in FIELD_LABELS:
        old, new = _display(before, field, goals), _display(after, field, goals)
        if old != new:
            changes.append(Change(FIELD_LABELS[field], old, new))
    return changes
