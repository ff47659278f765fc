"""Writing the mentoring self-evaluation and what mentors offer.

A person has at most one draft. Autosave writes the draft field by field under optimistic
concurrency: every save names the `revision` it started from, and a save that started from an old
revision raises `AssessmentConflict` (carrying the values now on the server) instead of overwriting
what another tab saved. Submitting turns the draft into the next dated version; a new draft starts as
a copy of the latest version, and its goals keep their `lineage`.

Autosave is not audited (it runs every few seconds while someone types); starting, submitting,
discarding and sharing are. Audit rows never hold the reflections themselves."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone

from mentorship.accounts.models import User
from programs.domain.validators import too_long_message
from programs.models import (
    MAX_GOALS_PER_HORIZON,
    AssessmentShare,
    AssessmentStatus,
    CommunicationMode,
    FacultyProfile,
    Goal,
    GoalHorizon,
    GoalStatus,
    LocationPreference,
    Membership,
    MentoringNeed,
    MentorOffer,
    MentorRole,
    MentorTraining,
    NeedArea,
    NeedPriority,
    SelfAssessment,
)
from programs.selectors.assessments import mentors_to_share_with
from programs.services.audit import audit_record


def max_length(model: type[models.Model], name: str) -> int:
    """A text field's limit, read from the model so there is one source of truth."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    assert field.max_length is not None
    return field.max_length


# The reflections and their length limits.
TEXT_LIMITS: dict[str, int] = {
    name: max_length(SelfAssessment, name) for name in SelfAssessment.PRIVATE_FIELDS
}
GOAL_TEXT_LIMIT = max_length(Goal, "text")
LIST_FIELDS = ("roles_wanted", "communication_modes")
EDITABLE_KEYS = frozenset(TEXT_LIMITS) | {
    "roles_wanted",
    "communication_modes",
    "location_preference",
    "needs",
    "goals",
}
HORIZON_WORDS = {GoalHorizon.SHORT: "short-term", GoalHorizon.LONG: "long-term"}
MAX_CAPACITY = 20


class AssessmentConflict(Exception):
    """The draft changed since this page loaded (another tab or device saved it)."""

    def __init__(self, *, revision: int, current: dict[str, Any], mine: dict[str, Any]) -> None:
        super().__init__("The self-evaluation was changed elsewhere since this page was loaded.")
        self.revision = revision
        self.current = current
        self.mine = mine


class AssessmentNotDraft(Exception):
    """The draft was submitted or discarded (e.g. in another tab) and can no longer change."""


def too_many_goals_message(horizon: str) -> str:
    return (
        f"You can list up to three {HORIZON_WORDS[GoalHorizon(horizon)]} goals. "
        "Remove one to add another."
    )


# --- Values: one comparable shape for what the form sends and what the database holds ---------


def goal_values(goals: Iterable[Goal]) -> list[dict[str, Any]]:
    return [
        {
            "lineage": str(g.lineage),
            "horizon": g.horizon,
            "text": g.text,
            "target_date": g.target_date,
            "status": g.status,
        }
        for g in sorted(goals, key=lambda g: (g.horizon != GoalHorizon.SHORT, g.order, g.pk or 0))
    ]


def need_values(needs: Iterable[MentoringNeed]) -> dict[int, int]:
    return {n.area_id: n.priority for n in needs}


def assessment_values(assessment: SelfAssessment, keys: Iterable[str]) -> dict[str, Any]:
    """The current values of `keys`, shaped like `assessment_autosave` data."""
    values: dict[str, Any] = {}
    for key in keys:
        if key == "goals":
            values[key] = goal_values(assessment.goals.all())
        elif key == "needs":
            values[key] = need_values(assessment.needs.all())
        else:
            values[key] = getattr(assessment, key)
    return values


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - EDITABLE_KEYS
    if unknown:
        raise TypeError(f"Not editable in a self-evaluation: {sorted(unknown)}")
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if key in TEXT_LIMITS:
            value = (value or "").strip()
            if len(value) > TEXT_LIMITS[key]:
                errors.setdefault(key, []).append(too_long_message(TEXT_LIMITS[key], len(value)))
        elif key == "roles_wanted":
            value = _ordered_subset(value, MentorRole.values, key, errors)
        elif key == "communication_modes":
            value = _ordered_subset(value, CommunicationMode.values, key, errors)
        elif key == "location_preference" and value not in LocationPreference.values:
            errors.setdefault(key, []).append("Choose one of the options.")
        elif key == "needs":
            value = _clean_needs(value, errors)
        elif key == "goals":
            value = _clean_goals(value, errors)
        clean[key] = value
    if errors:
        raise ValidationError(errors)
    return clean


def _ordered_subset(
    value: Iterable[str], allowed: list[str], key: str, errors: dict[str, list[str]]
) -> list[str]:
    chosen = set(value or [])
    if chosen - set(allowed):
        errors.setdefault(key, []).append("Choose from the options shown.")
    return [v for v in allowed if v in chosen]


def _clean_needs(value: Mapping[int, int], errors: dict[str, list[str]]) -> dict[int, int]:
    needs = {int(area): int(priority) for area, priority in (value or {}).items()}
    if any(p not in NeedPriority.values for p in needs.values()):
        errors.setdefault("needs", []).append("Choose a priority from the list.")
    known = set(NeedArea.objects.filter(pk__in=needs).values_list("pk", flat=True))
    if set(needs) - known:
        errors.setdefault("needs", []).append("One of these need areas no longer exists.")
    return needs


def _clean_goals(
    value: Iterable[Mapping[str, Any]], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    goals: list[dict[str, Any]] = []
    seen: set[str] = set()
    for raw in value or []:
        text = (raw.get("text") or "").strip()
        if not text:
            continue
        horizon = raw.get("horizon")
        if horizon not in GoalHorizon.values:
            errors.setdefault("goals", []).append("Each goal needs a horizon.")
            continue
        if len(text) > GOAL_TEXT_LIMIT:
            errors.setdefault("goals", []).append(too_long_message(GOAL_TEXT_LIMIT, len(text)))
        status = raw.get("status") or GoalStatus.NOT_STARTED
        if status not in GoalStatus.values:
            errors.setdefault("goals", []).append("Choose a status from the list.")
        lineage = _lineage(raw.get("lineage"))
        if lineage in seen:  # a copied row must not merge two goals into one
            lineage = str(uuid.uuid4())
        seen.add(lineage)
        goals.append(
            {
                "lineage": lineage,
                "horizon": horizon,
                "text": text,
                "target_date": raw.get("target_date"),
                "status": status,
            }
        )
    for horizon in GoalHorizon.values:
        if sum(g["horizon"] == horizon for g in goals) > MAX_GOALS_PER_HORIZON:
            errors.setdefault("goals", []).append(too_many_goals_message(horizon))
    goals.sort(key=lambda g: g["horizon"] != GoalHorizon.SHORT)  # stable: keeps the order typed
    return goals


def _lineage(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(uuid.uuid4())


# --- The self-evaluation ----------------------------------------------------------------------


@transaction.atomic
def assessment_start_draft(*, person: FacultyProfile, by: User) -> SelfAssessment:
    """The person's draft: the existing one, or a new one copied from their latest version."""
    draft = SelfAssessment.objects.filter(person=person, status=AssessmentStatus.DRAFT).first()
    if draft is not None:
        return draft
    latest = (
        SelfAssessment.objects.filter(person=person, status=AssessmentStatus.SUBMITTED)
        .prefetch_related("goals", "needs")
        .order_by("-version")
        .first()
    )
    draft = SelfAssessment(
        person=person, version=(latest.version + 1) if latest else 1, status=AssessmentStatus.DRAFT
    )
    if latest is not None:
        for name in (*TEXT_LIMITS, *LIST_FIELDS, "location_preference"):
            setattr(draft, name, getattr(latest, name))
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError:  # two tabs pressed "Start" at once: the other one's draft wins
        return SelfAssessment.objects.get(person=person, status=AssessmentStatus.DRAFT)
    if latest is not None:
        Goal.objects.bulk_create(
            Goal(
                assessment=draft,
                lineage=g.lineage,
                horizon=g.horizon,
                text=g.text,
                target_date=g.target_date,
                status=g.status,
                order=g.order,
            )
            for g in latest.goals.all()
        )
        MentoringNeed.objects.bulk_create(
            MentoringNeed(assessment=draft, area_id=n.area_id, priority=n.priority)
            for n in latest.needs.all()
        )
    audit_record(
        actor=by,
        verb="assessment.start",
        target=draft,
        version=draft.version,
        copied_from=latest.pk if latest else None,
    )
    return draft


@transaction.atomic
def assessment_autosave(
    *,
    assessment: SelfAssessment,
    revision: int,
    data: Mapping[str, Any],
    by: User,
    editor: str = "",
    step: int | None = None,
) -> SelfAssessment:
    """Save part of a draft. Raises ValidationError (by field), AssessmentConflict when another
    page saved different values since `revision`, or AssessmentNotDraft."""
    locked = (
        SelfAssessment.objects.select_for_update()
        .filter(pk=assessment.pk, status=AssessmentStatus.DRAFT)
        .first()
    )
    if locked is None:
        raise AssessmentNotDraft("This draft has been submitted or discarded.")
    clean = _clean(data)
    current = assessment_values(locked, clean)
    changes = {key: value for key, value in clean.items() if current[key] != value}
    own_race = bool(editor) and editor == locked.last_editor
    if changes and revision != locked.revision and not own_race:
        raise AssessmentConflict(
            revision=locked.revision,
            current={key: current[key] for key in changes},
            mine=changes,
        )
    update_fields = []
    if step is not None and step != locked.current_step:
        locked.current_step = step
        update_fields.append("current_step")
    if changes:
        for key, value in changes.items():
            if key == "goals":
                _goals_sync(locked, value)
            elif key == "needs":
                _needs_sync(locked, value)
            else:
                setattr(locked, key, value)
                update_fields.append(key)
        locked.revision += 1
        locked.last_editor = editor[:32]
        update_fields += ["revision", "last_editor", "updated_at"]
    if update_fields:
        locked.save(update_fields=update_fields)
    return locked


def _goals_sync(assessment: SelfAssessment, goals: list[dict[str, Any]]) -> None:
    existing = {str(g.lineage): g for g in assessment.goals.all()}
    wanted = {g["lineage"] for g in goals}
    Goal.objects.filter(pk__in=[g.pk for k, g in existing.items() if k not in wanted]).delete()
    order = {GoalHorizon.SHORT: 0, GoalHorizon.LONG: 0}
    for data in goals:
        position = order[data["horizon"]]
        order[data["horizon"]] += 1
        goal = existing.get(data["lineage"])
        if goal is None:
            Goal.objects.create(assessment=assessment, order=position, **data)
            continue
        fields = {**data, "order": position}
        changed = [k for k, v in fields.items() if k != "lineage" and getattr(goal, k) != v]
        if changed:
            for k in changed:
                setattr(goal, k, fields[k])
            goal.save(update_fields=changed)


def _needs_sync(assessment: SelfAssessment, needs: dict[int, int]) -> None:
    existing = {n.area_id: n for n in assessment.needs.all()}
    MentoringNeed.objects.filter(
        pk__in=[n.pk for area, n in existing.items() if area not in needs]
    ).delete()
    for area_id, priority in needs.items():
        need = existing.get(area_id)
        if need is None:
            MentoringNeed.objects.create(assessment=assessment, area_id=area_id, priority=priority)
        elif need.priority != priority:
            need.priority = priority
            need.save(update_fields=["priority"])


@transaction.atomic
def assessment_submit(*, assessment: SelfAssessment, by: User) -> SelfAssessment:
    locked = SelfAssessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != AssessmentStatus.DRAFT:
        raise ValidationError(f"Version {locked.version} has already been submitted.")
    if not locked.needs.exists():
        raise ValidationError(
            {
                "needs": "Choose at least one area where you want mentoring (step 5, Mentoring "
                "needs) before you submit: your program uses it to find you mentors."
            }
        )
    _clean(assessment_values(locked, [*TEXT_LIMITS, "goals"]))  # limits still hold
    last = SelfAssessment.objects.filter(
        person_id=locked.person_id, status=AssessmentStatus.SUBMITTED
    ).aggregate(last=Max("version"))["last"]
    locked.version = (last or 0) + 1
    locked.status = AssessmentStatus.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.revision += 1
    locked.save(update_fields=["version", "status", "submitted_at", "revision", "updated_at"])
    audit_record(actor=by, verb="assessment.submit", target=locked, version=locked.version)
    return locked


@transaction.atomic
def assessment_discard(*, assessment: SelfAssessment, by: User) -> None:
    locked = SelfAssessment.objects.select_for_update().filter(pk=assessment.pk).first()
    if locked is None or locked.status != AssessmentStatus.DRAFT:
        raise ValidationError("Only a draft can be discarded; submitted versions are kept.")
    audit_record(actor=by, verb="assessment.discard", target=locked, version=locked.version)
    locked.delete()


@transaction.atomic
def assessment_share(
    *, assessment: SelfAssessment, mentor: FacultyProfile, by: User
) -> AssessmentShare:
    """Let one mentor read this whole version, reflections included, until it is unshared."""
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise ValidationError("Submit this version before sharing it.")
    if not mentors_to_share_with(person=assessment.person).filter(pk=mentor.pk).exists():
        raise ValidationError(
            {"mentor": "You can share with mentors of the programs you take part in as a mentee."}
        )
    share = AssessmentShare.objects.filter(
        assessment=assessment, shared_with=mentor, revoked_at__isnull=True
    ).first()
    if share is not None:
        return share
    try:
        with transaction.atomic():
            share = AssessmentShare.objects.create(assessment=assessment, shared_with=mentor)
    except IntegrityError:  # shared twice at once
        return AssessmentShare.objects.get(
            assessment=assessment, shared_with=mentor, revoked_at__isnull=True
        )
    audit_record(
        actor=by,
        verb="assessment.share",
        target=assessment,
        shared_with=mentor.pk,
        version=assessment.version,
    )
    return share


@transaction.atomic
def assessment_unshare(*, share: AssessmentShare, by: User) -> AssessmentShare:
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])
        audit_record(
            actor=by,
            verb="assessment.unshare",
            target=share.assessment,
            shared_with=share.shared_with_id,
        )
    return share


# --- What mentors offer -----------------------------------------------------------------------


@dataclass(frozen=True)
class OfferData:
    need_areas: list[NeedArea]
    roles_offered: list[str]
    accepting: bool
    paused_until: date | None
    mentors_remotely: bool
    years_mentoring: int
    prior_mentees: int
    notes: str


@transaction.atomic
def mentor_offer_update(
    *,
    person: FacultyProfile,
    offer: OfferData,
    capacities: Mapping[int, int] | None = None,
    communication_modes: list[str] | None = None,
    by: User,
) -> MentorOffer:
    """Save what a person offers as a mentor; `capacities` maps their mentor memberships' ids to
    how many mentees they take at once in that program (a director may still override it)."""
    errors: dict[str, list[str]] = {}
    roles = _ordered_subset(offer.roles_offered, MentorRole.values, "roles_offered", errors)
    today = timezone.localdate()
    paused_until = None if offer.accepting else offer.paused_until
    if paused_until is not None and paused_until <= today:
        errors.setdefault("paused_until", []).append(
            "Choose a date after today, or leave it blank to pause until you change it."
        )
    if not 0 <= offer.years_mentoring <= 70:
        errors.setdefault("years_mentoring", []).append("Enter a number from 0 to 70.")
    if not 0 <= offer.prior_mentees <= 1000:
        errors.setdefault("prior_mentees", []).append("Enter a number from 0 to 1,000.")
    notes_limit = max_length(MentorOffer, "notes")
    notes = offer.notes.strip()
    if len(notes) > notes_limit:
        errors.setdefault("notes", []).append(too_long_message(notes_limit, len(notes)))
    modes = None
    if communication_modes is not None:
        modes = _ordered_subset(
            communication_modes, CommunicationMode.values, "communication_modes", errors
        )
    memberships = {}
    if capacities:
        memberships = {
            m.pk: m
            for m in Membership.objects.select_for_update().filter(
                person=person, pk__in=list(capacities)
            )
            if m.is_mentor
        }
        for membership_id, capacity in capacities.items():
            if membership_id not in memberships:
                errors.setdefault(f"capacity_{membership_id}", []).append(
                    "You are not a mentor in this program."
                )
            elif not 0 <= capacity <= MAX_CAPACITY:
                errors.setdefault(f"capacity_{membership_id}", []).append(
                    f"Enter a number from 0 to {MAX_CAPACITY}."
                )
    if errors:
        raise ValidationError(errors)

    mentor_offer, created = MentorOffer.objects.get_or_create(person=person)
    mentor_offer.roles_offered = roles
    mentor_offer.accepting = offer.accepting
    mentor_offer.paused_until = paused_until
    mentor_offer.mentors_remotely = offer.mentors_remotely
    mentor_offer.years_mentoring = offer.years_mentoring
    mentor_offer.prior_mentees = offer.prior_mentees
    mentor_offer.notes = notes
    mentor_offer.save()
    mentor_offer.need_areas.set(offer.need_areas)
    if modes is not None and modes != person.communication_modes:
        person.communication_modes = modes
        person.save(update_fields=["communication_modes", "updated_at"])
    changed_capacity = []
    for membership_id, capacity in (capacities or {}).items():
        membership = memberships[membership_id]
        if membership.mentor_capacity != capacity:
            membership.mentor_capacity = capacity
            membership.save(update_fields=["mentor_capacity"])
            changed_capacity.append(membership)
    audit_record(
        actor=by, verb="mentor_offer.create" if created else "mentor_offer.update", target=person
    )
    for membership in changed_capacity:
        audit_record(
            actor=by,
            verb="membership.capacity",
            target=membership,
            program=membership.program,
            capacity=membership.mentor_capacity,
        )
    return mentor_offer


@transaction.atomic
def mentor_training_add(
    *, person: FacultyProfile, name: str, completed_on: date, by: User
) -> MentorTraining:
    name = " ".join((name or "").split())
    limit = max_length(MentorTraining, "name")
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Name the training, e.g. “Mentor development workshop”."
    elif len(name) > limit:
        errors["name"] = too_long_message(limit, len(name))
    if completed_on > timezone.localdate():
        errors["completed_on"] = "Enter the date you completed it; it cannot be in the future."
    if errors:
        raise ValidationError(errors)
    training = MentorTraining.objects.create(person=person, name=name, completed_on=completed_on)
    audit_record(actor=by, verb="mentor_training.add", target=training)
    return training


@transaction.atomic
def mentor_training_remove(*, training: MentorTraining, by: User) -> None:
    audit_record(actor=by, verb="mentor_training.remove", target=training, name=training.name)
    training.delete()
