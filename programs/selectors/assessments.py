"""Reading self-evaluations, their versions and what mentors offer.

Directors only ever get the structured parts (`StructuredSummary`, `program_needs_summary`): the
functions that feed their pages never load the free-text reflections into what they return."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from programs.domain.assessment_sections import SECTIONS, TEXT_FIELDS, label_for, section_of
from programs.domain.dates import add_months
from programs.models import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    AssessmentShare,
    AssessmentStatus,
    CommunicationMode,
    FacultyProfile,
    Goal,
    GoalHorizon,
    LocationPreference,
    Membership,
    MentoringNeed,
    MentorOffer,
    MentorRole,
    NeedArea,
    NeedPriority,
    Program,
    SelfAssessment,
)

ROLE_LABELS = dict(MentorRole.choices)
MODE_LABELS = dict(CommunicationMode.choices)
LOCATION_LABELS = dict(LocationPreference.choices)
PRIORITY_LABELS = dict(NeedPriority.choices)
# Columns a director's page may read: never the reflections.
STRUCTURED_COLUMNS = (
    "id",
    "person_id",
    "version",
    "status",
    "submitted_at",
    "roles_wanted",
    "location_preference",
    "communication_modes",
)


def _with_parts(assessments: QuerySet[SelfAssessment]) -> QuerySet[SelfAssessment]:
    return assessments.prefetch_related(
        Prefetch("goals", queryset=Goal.objects.order_by("horizon", "order", "pk")),
        Prefetch(
            "needs", queryset=MentoringNeed.objects.select_related("area").order_by("priority")
        ),
    )


def assessment_with_parts(*, pk: int) -> SelfAssessment:
    """One version with its person, goals and needs (three queries)."""
    return _with_parts(SelfAssessment.objects.select_related("person__user")).get(pk=pk)


def answered_steps(assessment: SelfAssessment) -> set[str]:
    """The sections that have at least one answer (goals and needs must be prefetched)."""
    answered = set()
    for section in SECTIONS:
        if section.slug == "goals":
            has_answer = bool(assessment.goals.all())
        elif section.slug == "needs":
            has_answer = bool(
                assessment.needs.all() or assessment.roles_wanted or assessment.needs_notes
            )
        else:
            has_answer = any(getattr(assessment, name, None) for name in section.fields)
        if has_answer:
            answered.add(section.slug)
    return answered


def latest_submitted_assessment(person: FacultyProfile | int) -> SelfAssessment | None:
    person_id = person if isinstance(person, int) else person.pk
    return (
        _with_parts(SelfAssessment.objects.filter(person_id=person_id, status="submitted"))
        .order_by("-version")
        .first()
    )


def latest_submitted_assessments(
    *, person_ids: Iterable[int], with_parts: bool = True
) -> QuerySet[SelfAssessment]:
    """Each person's latest submitted version, in one query (plus goals and needs prefetched)."""
    newer = SelfAssessment.objects.filter(
        person=OuterRef("person"),
        status=AssessmentStatus.SUBMITTED,
        version__gt=OuterRef("version"),
    )
    latest = SelfAssessment.objects.filter(
        person_id__in=list(person_ids), status=AssessmentStatus.SUBMITTED
    ).exclude(Exists(newer))
    return _with_parts(latest) if with_parts else latest


def person_versions(*, person: FacultyProfile) -> QuerySet[SelfAssessment]:
    """All of a person's versions and their draft, newest first, with active share counts."""
    return (
        SelfAssessment.objects.filter(person=person)
        .annotate(share_count=Count("shares", filter=Q(shares__revoked_at__isnull=True)))
        .order_by("-version")
    )


@dataclass(frozen=True)
class AssessmentState:
    """Where a person stands with the tool: what directors and the home page show."""

    latest_pk: int | None = None
    latest_version: int | None = None
    latest_submitted_at: datetime | None = None
    draft_pk: int | None = None
    draft_step: int | None = None

    @property
    def completed(self) -> bool:
        return self.latest_pk is not None


def assessment_states(*, person_ids: Iterable[int]) -> dict[int, AssessmentState]:
    """Per person: latest submitted version and draft, in one query."""
    rows = (
        SelfAssessment.objects.filter(person_id__in=list(person_ids))
        .order_by("person_id", "-version")
        .values_list("person_id", "pk", "status", "version", "submitted_at", "current_step")
    )
    states: dict[int, dict[str, Any]] = {}
    for person_id, pk, status, version, submitted_at, step in rows:
        state = states.setdefault(person_id, {})
        if status == AssessmentStatus.DRAFT:
            state.update(draft_pk=pk, draft_step=step)
        elif "latest_pk" not in state:
            state.update(latest_pk=pk, latest_version=version, latest_submitted_at=submitted_at)
    return {person_id: AssessmentState(**state) for person_id, state in states.items()}


def assessment_state(*, person: FacultyProfile) -> AssessmentState:
    return assessment_states(person_ids=[person.pk]).get(person.pk, AssessmentState())


def reassessment_due(
    *, state: AssessmentState, programs: Iterable[Program], today: date | None = None
) -> date | None:
    """The date a new version was due, if one of the person's programs asks for re-assessment
    and their latest version is older than that; else None."""
    months = [p.reassessment_months for p in programs if p.reassessment_months]
    if not months or state.latest_submitted_at is None:
        return None
    due = add_months(timezone.localdate(state.latest_submitted_at), min(months))
    return due if due <= (today or timezone.localdate()) else None


# --- Sharing ----------------------------------------------------------------------------------


def mentors_to_share_with(*, person: FacultyProfile) -> QuerySet[FacultyProfile]:
    """Mentors of the programs the person takes part in as a mentee."""
    mentee_programs = Membership.objects.filter(person=person, role__in=MENTEE_ROLES).values(
        "program_id"
    )
    return (
        FacultyProfile.objects.filter(
            memberships__program__in=mentee_programs, memberships__role__in=MENTOR_ROLES
        )
        .exclude(pk=person.pk)
        .select_related("user", "department")
        .distinct()
        .order_by("family_name", "given_name", "pk")
    )


def active_shares(*, assessment: SelfAssessment) -> QuerySet[AssessmentShare]:
    return (
        AssessmentShare.objects.filter(assessment=assessment, revoked_at__isnull=True)
        .select_related("shared_with__user")
        .order_by("shared_with__family_name", "shared_with__given_name")
    )


def shared_with_me(*, person: FacultyProfile) -> QuerySet[AssessmentShare]:
    return (
        AssessmentShare.objects.filter(shared_with=person, revoked_at__isnull=True)
        .select_related("assessment__person")
        .order_by("-created_at")
    )


# --- What directors see -----------------------------------------------------------------------


@dataclass(frozen=True)
class NeedLine:
    area: str
    priority: int
    priority_label: str
    institution_specific: bool


@dataclass(frozen=True)
class StructuredSummary:
    """The parts of a version that drive matching and that directors may see."""

    pk: int
    person_id: int
    version: int
    submitted_at: datetime | None
    needs: list[NeedLine]
    roles_wanted: list[str]
    location_preference: str
    communication_modes: list[str]


def structured_summary(assessment: SelfAssessment) -> StructuredSummary:
    return StructuredSummary(
        pk=assessment.pk,
        person_id=assessment.person_id,
        version=assessment.version,
        submitted_at=assessment.submitted_at,
        needs=[
            NeedLine(
                n.area.name, n.priority, PRIORITY_LABELS[n.priority], n.area.institution_specific
            )
            for n in sorted(assessment.needs.all(), key=lambda n: (n.priority, n.area.order))
        ],
        roles_wanted=[ROLE_LABELS[r] for r in assessment.roles_wanted if r in ROLE_LABELS],
        location_preference=LOCATION_LABELS.get(assessment.location_preference, ""),
        communication_modes=[
            MODE_LABELS[m] for m in assessment.communication_modes if m in MODE_LABELS
        ],
    )


def structured_assessment(*, pk: int) -> SelfAssessment:
    """A version loaded without its reflections, for a director's page."""
    return (
        SelfAssessment.objects.only(*STRUCTURED_COLUMNS)
        .prefetch_related(Prefetch("needs", queryset=MentoringNeed.objects.select_related("area")))
        .get(pk=pk)
    )


@dataclass
class AreaCount:
    area: NeedArea
    high: int = 0
    medium: int = 0
    low: int = 0

    @property
    def total(self) -> int:
        return self.high + self.medium + self.low


@dataclass
class MenteeNeeds:
    membership: Membership
    state: AssessmentState
    summary: StructuredSummary | None


@dataclass
class NeedsSummary:
    mentees: list[MenteeNeeds]
    areas: list[AreaCount]
    roles: list[tuple[str, int]]
    locations: list[tuple[str, int]]
    modes: list[tuple[str, int]]
    completed: int = 0
    not_completed: list[MenteeNeeds] = field(default_factory=list)


def program_needs_summary(*, program: Program) -> NeedsSummary:
    """Structured needs and roles wanted across a program's mentees (from each one's latest
    version), and who has not completed the tool. A constant number of queries."""
    memberships = list(
        Membership.objects.filter(program=program, role__in=MENTEE_ROLES)
        .select_related("person__user", "cohort")
        .order_by("person__family_name", "person__given_name", "pk")
    )
    person_ids = [m.person_id for m in memberships]
    states = assessment_states(person_ids=person_ids)
    latest = {
        a.person_id: a
        for a in latest_submitted_assessments(person_ids=person_ids, with_parts=False)
        .only(*STRUCTURED_COLUMNS)
        .prefetch_related(Prefetch("needs", queryset=MentoringNeed.objects.select_related("area")))
    }
    areas = {a.pk: AreaCount(a) for a in NeedArea.objects.order_by("order", "name")}
    roles: Counter[str] = Counter()
    locations: Counter[str] = Counter()
    modes: Counter[str] = Counter()
    mentees = []
    for membership in memberships:
        assessment = latest.get(membership.person_id)
        summary = structured_summary(assessment) if assessment else None
        mentees.append(
            MenteeNeeds(membership, states.get(membership.person_id, AssessmentState()), summary)
        )
        if assessment is None:
            continue
        for need in assessment.needs.all():
            count = areas[need.area_id]
            attr = {1: "high", 2: "medium", 3: "low"}[need.priority]
            setattr(count, attr, getattr(count, attr) + 1)
        roles.update(assessment.roles_wanted)
        locations[assessment.location_preference] += 1
        modes.update(assessment.communication_modes)
    return NeedsSummary(
        mentees=mentees,
        areas=[a for a in areas.values() if a.total or a.area.is_active],
        roles=[(label, roles[value]) for value, label in MentorRole.choices],
        locations=[(label, locations[value]) for value, label in LocationPreference.choices],
        modes=[(label, modes[value]) for value, label in CommunicationMode.choices],
        completed=sum(1 for m in mentees if m.summary is not None),
        not_completed=[m for m in mentees if m.summary is None],
    )


# --- Comparing two versions -------------------------------------------------------------------

ADDED, REMOVED, CHANGED, SAME = "added", "removed", "changed", "same"


@dataclass(frozen=True)
class TextChange:
    field: str
    label: str
    section: str
    before: str
    after: str

    @property
    def kind(self) -> str:
        if self.before == self.after:
            return SAME
        if not self.before:
            return ADDED
        return REMOVED if not self.after else CHANGED


@dataclass(frozen=True)
class GoalChange:
    horizon: str
    before: Goal | None
    after: Goal | None
    changed_fields: tuple[str, ...]

    @property
    def kind(self) -> str:
        if self.before is None:
            return ADDED
        if self.after is None:
            return REMOVED
        return CHANGED if self.changed_fields else SAME

    @property
    def changed_labels(self) -> list[str]:
        return [GOAL_FIELD_LABELS[f] for f in self.changed_fields]


@dataclass(frozen=True)
class NeedChange:
    area: str
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return ADDED
        if self.after is None:
            return REMOVED
        return SAME if self.before == self.after else CHANGED


@dataclass(frozen=True)
class ListChange:
    label: str
    before: list[str]
    after: list[str]

    @property
    def added(self) -> list[str]:
        return [x for x in self.after if x not in self.before]

    @property
    def removed(self) -> list[str]:
        return [x for x in self.before if x not in self.after]

    @property
    def kind(self) -> str:
        return CHANGED if self.added or self.removed else SAME


@dataclass(frozen=True)
class Comparison:
    before: SelfAssessment
    after: SelfAssessment
    goals: list[GoalChange]
    needs: list[NeedChange]
    lists: list[ListChange]
    texts: list[TextChange]

    @property
    def change_count(self) -> int:
        kinds = [
            *(c.kind for c in self.goals),
            *(c.kind for c in self.needs),
            *(c.kind for c in self.lists),
            *(c.kind for c in self.texts),
        ]
        return sum(1 for kind in kinds if kind != SAME)


GOAL_FIELDS = ("text", "target_date", "status", "horizon")
GOAL_FIELD_LABELS = {
    "text": "wording",
    "target_date": "target date",
    "status": "status",
    "horizon": "horizon",
}


def compare_assessments(before: SelfAssessment, after: SelfAssessment) -> Comparison:
    """What changed between two versions (no queries: pass versions with goals and needs
    prefetched). Goals are matched by lineage, so an edited goal shows as changed, not as one
    removed and one added."""
    old_goals = {g.lineage: g for g in before.goals.all()}
    new_goals = {g.lineage: g for g in after.goals.all()}
    goals = []
    for horizon in (GoalHorizon.SHORT, GoalHorizon.LONG):
        for goal in after.goals.all():
            if goal.horizon != horizon:
                continue
            old = old_goals.get(goal.lineage)
            changed = tuple(f for f in GOAL_FIELDS if old and getattr(old, f) != getattr(goal, f))
            goals.append(GoalChange(horizon, old, goal, changed))
        goals.extend(
            GoalChange(horizon, goal, None, ())
            for goal in before.goals.all()
            if goal.horizon == horizon and goal.lineage not in new_goals
        )
    old_needs = {n.area_id: n for n in before.needs.all()}
    new_needs = {n.area_id: n for n in after.needs.all()}
    areas = {n.area_id: n.area for n in [*before.needs.all(), *after.needs.all()]}
    needs = [
        NeedChange(
            area.name,
            old_needs[pk].get_priority_display() if pk in old_needs else None,
            new_needs[pk].get_priority_display() if pk in new_needs else None,
        )
        for pk, area in sorted(areas.items(), key=lambda item: (item[1].order, item[1].name))
    ]
    lists = [
        ListChange(
            "Mentor roles wanted",
            [ROLE_LABELS.get(r, r) for r in before.roles_wanted],
            [ROLE_LABELS.get(r, r) for r in after.roles_wanted],
        ),
        ListChange(
            "Preferred ways to communicate",
            [MODE_LABELS.get(m, m) for m in before.communication_modes],
            [MODE_LABELS.get(m, m) for m in after.communication_modes],
        ),
        ListChange(
            "Where mentors may be",
            [LOCATION_LABELS.get(before.location_preference, "")],
            [LOCATION_LABELS.get(after.location_preference, "")],
        ),
    ]
    texts = [
        TextChange(
            name,
            label_for(name),
            section_of(name).title,
            getattr(before, name),
            getattr(after, name),
        )
        for name in TEXT_FIELDS
    ]
    return Comparison(before, after, goals, needs, lists, texts)


def assessments_to_compare(
    *, person: FacultyProfile, pks: Iterable[int]
) -> dict[int, SelfAssessment]:
    return {
        a.pk: a for a in _with_parts(SelfAssessment.objects.filter(person=person, pk__in=list(pks)))
    }


# --- What mentors offer -----------------------------------------------------------------------


def mentor_offer_for(*, person: FacultyProfile) -> MentorOffer | None:
    return (
        MentorOffer.objects.filter(person=person)
        .prefetch_related(Prefetch("need_areas", queryset=NeedArea.objects.order_by("order")))
        .first()
    )


def mentor_memberships(*, person: FacultyProfile) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(person=person, role__in=MENTOR_ROLES)
        .select_related("program")
        .order_by("program__name")
    )
