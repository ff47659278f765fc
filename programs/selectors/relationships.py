"""Reads for relationship pages: the mentee's board, the mentor's dashboard, the director's list,
a relationship, its agreement, its meetings and its goals. Each page's data comes from a fixed
number of queries, whatever the number of relationships (the tests assert it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypedDict, cast

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_stubs_ext import WithAnnotations

from matching.models import MentorRequest, RequestKind, RequestStatus
from programs.models import (
    GUIDING_SIDES,
    MENTEE_ROLES,
    MENTOR_ROLES,
    MET_STATUSES,
    OPEN_STAGES,
    RECEIVING_SIDES,
    ActionItem,
    ActionItemStatus,
    AgendaItem,
    AgreementVersion,
    Concern,
    ConcernStatus,
    FacultyProfile,
    Goal,
    Meeting,
    MeetingStatus,
    Membership,
    MemberSide,
    MentoringNeed,
    MentorRole,
    NeedArea,
    Program,
    Recap,
    Relationship,
    RelationshipMember,
    RelationshipRisk,
    RelationshipStage,
    SelfAssessment,
)
from programs.selectors.assessments import latest_submitted_assessment
from programs.selectors.figures import quiet_relationships, with_quiet

# --- Building blocks ---------------------------------------------------------------------------


def _count(queryset: QuerySet[Any]) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().values("relationship").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


class Activity(TypedDict):
    last_met_at: datetime | None
    next_meeting_at: datetime | None
    next_meeting_id: int | None
    open_item_count: int
    overdue_item_count: int


def with_activity(
    relationships: QuerySet[Relationship],
) -> QuerySet[WithAnnotations[Relationship, Activity]]:
    """Annotate last and next meeting and open/overdue action items, as subqueries (no row
    multiplication, one query)."""
    now, today = timezone.now(), timezone.localdate()
    meetings = Meeting.objects.filter(relationship=OuterRef("pk"))
    upcoming = meetings.filter(status=MeetingStatus.SCHEDULED, starts_at__gt=now).order_by(
        "starts_at"
    )
    open_items = ActionItem.objects.filter(
        relationship=OuterRef("pk"), status=ActionItemStatus.OPEN
    )
    return relationships.annotate(
        last_met_at=Subquery(
            meetings.filter(status__in=MET_STATUSES, starts_at__lte=now)
            .order_by("-starts_at")
            .values("starts_at")[:1]
        ),
        next_meeting_at=Subquery(upcoming.values("starts_at")[:1]),
        next_meeting_id=Subquery(upcoming.values("pk")[:1]),
        open_item_count=_count(open_items),
        overdue_item_count=_count(open_items.filter(due_on__lt=today)),
    )


def active_members(*, with_cards: bool = False) -> Prefetch:
    """The current members; `with_cards` also loads what a person card shows (department,
    what they offer as a mentor: areas and roles) in two more queries, whatever the count."""
    members = RelationshipMember.objects.filter(left_at__isnull=True).select_related(
        "person__rank", "person__institution"
    )
    if with_cards:
        members = members.select_related(
            "person__department", "person__mentor_offer"
        ).prefetch_related("person__mentor_offer__need_areas")
    return Prefetch(
        "members",
        queryset=members.order_by("side", "person__family_name"),
        to_attr="active_members",
    )


class Members(TypedDict):
    active_members: list[RelationshipMember]


def with_members(
    relationships: QuerySet[Any], *, with_cards: bool = False
) -> QuerySet[WithAnnotations[Relationship, Members]]:
    """The relationships with their current members prefetched as `active_members`."""
    members = relationships.prefetch_related(active_members(with_cards=with_cards))
    return cast("QuerySet[WithAnnotations[Relationship, Members]]", members)


def is_quiet(relationship: Relationship) -> bool:
    """Quiet by the one definition (`selectors.figures.with_quiet`): two meeting cycles plus
    the program's grace without a meeting or check-in. The reminders sweep's stored
    `quiet_since` only remembers which pairs directors were already told about."""
    return quiet_relationships(program=relationship.program_id).filter(pk=relationship.pk).exists()


def last_met_on(relationship: Relationship) -> date | None:
    """The day (UTC) of the last meeting or check-in that took place."""
    last = (
        Meeting.objects.filter(
            relationship=relationship, status__in=MET_STATUSES, starts_at__lte=timezone.now()
        )
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return last.date() if last else None


# --- The mentee's board ------------------------------------------------------------------------


@dataclass
class BoardEntry:
    relationship: Relationship
    guides: list[RelationshipMember]  # the mentors, facilitator or fellow peers
    my_side: str

    @property
    def focus(self) -> NeedArea | None:
        return self.relationship.focus_area


@dataclass
class NeedCoverage:
    need: MentoringNeed
    covered_by: list[BoardEntry]

    @property
    def is_gap(self) -> bool:
        return not self.covered_by


@dataclass
class RoleCoverage:
    role: str
    label: str
    wanted: bool
    covered_by: list[BoardEntry]


@dataclass
class GoalProgress:
    goal: Goal
    meetings: list[Meeting] = field(default_factory=list)
    items_done: int = 0
    items_total: int = 0


@dataclass
class Board:
    entries: list[BoardEntry]
    past: list[BoardEntry]
    assessment: SelfAssessment | None
    needs: list[NeedCoverage]
    roles: list[RoleCoverage]
    upcoming: Sequence[Meeting]
    open_items: list[ActionItem]
    goals: list[GoalProgress]
    mentee_programs: list[Membership]
    # Outside mentors invited and not yet answered: nothing has started with them.
    invitations: list[MentorRequest] = field(default_factory=list)

    @property
    def gaps(self) -> list[NeedCoverage]:
        return [n for n in self.needs if n.is_gap]


def _entries(
    relationships: list[WithAnnotations[Relationship, Members]], person: FacultyProfile
) -> list[BoardEntry]:
    entries = []
    for r in relationships:
        mine = next((m for m in r.active_members if m.person_id == person.pk), None)
        others = [m for m in r.active_members if m.person_id != person.pk]
        guides = [m for m in others if m.side in GUIDING_SIDES] or others
        entries.append(BoardEntry(r, guides, mine.side if mine else ""))
    return entries


def board_for(person: FacultyProfile) -> Board:
    mine = RelationshipMember.objects.filter(
        person=person, left_at__isnull=True, side__in=RECEIVING_SIDES
    ).values("relationship")
    relationships = list(
        with_members(
            with_activity(Relationship.objects.filter(pk__in=mine)).select_related(
                "program", "focus_area"
            ),
            with_cards=True,
        ).order_by("-started_on", "-pk")
    )
    current = [r for r in relationships if r.is_open]
    past = [r for r in relationships if not r.is_open]
    entries, past_entries = _entries(current, person), _entries(past, person)

    assessment = latest_submitted_assessment(person)
    needs: list[NeedCoverage] = []
    roles: list[RoleCoverage] = []
    wanted_roles: list[str] = []
    if assessment is not None:
        for need in MentoringNeed.objects.filter(assessment=assessment).select_related("area"):
            covered = [e for e in entries if e.relationship.focus_area_id == need.area_id]
            needs.append(NeedCoverage(need, covered))
        wanted_roles = list(assessment.roles_wanted or [])
    for value, label in MentorRole.choices:
        covered = [e for e in entries if value in (e.relationship.roles or [])]
        if covered or value in wanted_roles:
            roles.append(RoleCoverage(value, label, value in wanted_roles, covered))

    current_ids = [r.pk for r in current]
    upcoming = list(
        Meeting.objects.filter(
            relationship__in=current_ids,
            status=MeetingStatus.SCHEDULED,
            starts_at__gt=timezone.now(),
        )
        .select_related("relationship")
        .annotate(agenda_count=Count("agenda_items"))
        .order_by("starts_at")[:5]
    )
    open_items = list(
        ActionItem.objects.filter(relationship__in=current_ids, status=ActionItemStatus.OPEN)
        .select_related("owner", "goal")
        .order_by("due_on", "pk")[:15]
    )
    goals = goal_progress(
        goals=list(assessment.goals.all()) if assessment else [],
        relationship_ids=[r.pk for r in relationships],
    )
    mentee_programs = [
        m
        for m in Membership.objects.filter(person=person).select_related("program")
        if m.is_mentee and m.program.is_active
    ]
    return Board(
        entries=entries,
        past=past_entries,
        assessment=assessment,
        needs=needs,
        roles=roles,
        upcoming=upcoming,
        open_items=open_items,
        goals=goals,
        mentee_programs=mentee_programs,
        invitations=list(
            MentorRequest.objects.filter(
                mentee=person, kind=RequestKind.OUTSIDE, status=RequestStatus.PENDING
            )
            .select_related("mentor", "program", "focus_area")
            .order_by("created_at")
        ),
    )


def goal_progress(*, goals: list[Goal], relationship_ids: list[int]) -> list[GoalProgress]:
    """How each goal moved across meetings: where it was discussed (agenda items linked to the
    goal, by lineage so that it survives new self-evaluation versions) and its action items."""
    if not goals:
        return []
    lineages = {g.lineage for g in goals}
    progress = {g.lineage: GoalProgress(g) for g in goals}
    agenda = (
        AgendaItem.objects.filter(
            goal__lineage__in=lineages, meeting__relationship__in=relationship_ids
        )
        .exclude(meeting__status=MeetingStatus.CANCELLED)
        .filter(meeting__starts_at__lte=timezone.now())
        .select_related("meeting", "goal")
        .order_by("meeting__starts_at")
    )
    for item in agenda:
        if item.goal is None:  # the filter above keeps items with a goal only
            continue
        entry = progress[item.goal.lineage]
        if item.meeting not in entry.meetings:
            entry.meetings.append(item.meeting)
    counts = (
        ActionItem.objects.filter(goal__lineage__in=lineages, relationship__in=relationship_ids)
        .exclude(status=ActionItemStatus.DROPPED)
        .values("goal__lineage")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(status=ActionItemStatus.DONE)))
    )
    for row in counts:
        entry = progress[row["goal__lineage"]]
        entry.items_total, entry.items_done = row["total"], row["done"]
    return list(progress.values())


# --- The mentor's dashboard --------------------------------------------------------------------


@dataclass
class Load:
    membership: Membership
    current: int

    @property
    def over(self) -> bool:
        return self.current > self.membership.mentor_capacity

    @property
    def full(self) -> bool:
        return self.current >= self.membership.mentor_capacity


@dataclass
class MentorDashboard:
    entries: list[BoardEntry]
    loads: list[Load]
    overdue_items: list[ActionItem]
    quiet: list[BoardEntry]


def mentor_dashboard_for(person: FacultyProfile) -> MentorDashboard:
    mine = RelationshipMember.objects.filter(
        person=person,
        left_at__isnull=True,
        side__in=[MemberSide.MENTOR, MemberSide.FACILITATOR, MemberSide.PEER],
    ).values("relationship")
    relationships = list(
        with_members(
            with_activity(Relationship.objects.filter(pk__in=mine, stage__in=OPEN_STAGES))
            .select_related("program", "focus_area")
            .order_by("next_meeting_at", "-started_on", "-pk")
        )
    )
    entries = []
    guiding_by_program: dict[int, int] = defaultdict(int)
    for r in relationships:
        me = next((m for m in r.active_members if m.person_id == person.pk), None)
        others = [m for m in r.active_members if m.person_id != person.pk]
        entries.append(BoardEntry(r, others, me.side if me else ""))
        if me is not None and me.side in GUIDING_SIDES:
            guiding_by_program[r.program_id] += 1
    loads = [
        Load(m, guiding_by_program.get(m.program_id, 0))
        for m in Membership.objects.filter(person=person, role__in=MENTOR_ROLES)
        .select_related("program")
        .order_by("program__name")
    ]
    overdue = list(
        ActionItem.objects.filter(
            relationship__in=[r.pk for r in relationships],
            status=ActionItemStatus.OPEN,
            due_on__lt=timezone.localdate(),
        )
        .select_related("owner", "relationship")
        .order_by("due_on")[:20]
    )
    quiet = set(
        with_quiet(Relationship.objects.filter(pk__in=[r.pk for r in relationships]))
        .filter(is_quiet=True)
        .values_list("pk", flat=True)
    )
    return MentorDashboard(
        entries=entries,
        loads=loads,
        overdue_items=overdue,
        quiet=[e for e in entries if e.relationship.pk in quiet],
    )


# --- Directors ---------------------------------------------------------------------------------


def relationships_for_director(
    *,
    program: Program,
    director_concerns: QuerySet[Concern],
    stage: str = "",
    quiet_only: bool = False,
    search: str = "",
) -> QuerySet[Relationship]:
    """The program's relationships with their activity and the number of unresolved concerns
    the director may see (from `access.concerns_for_director`)."""
    relationships = with_activity(Relationship.objects.filter(program=program)).annotate(
        concern_count=_count(
            director_concerns.filter(relationship=OuterRef("pk")).exclude(
                status=ConcernStatus.RESOLVED
            )
        ),
        at_risk=Exists(
            RelationshipRisk.objects.filter(relationship=OuterRef("pk"), cleared_at__isnull=True)
        ),
    )
    if stage in RelationshipStage.values:
        relationships = relationships.filter(stage=stage)
    elif stage == "open":
        relationships = relationships.filter(stage__in=OPEN_STAGES)
    if quiet_only:
        relationships = relationships.filter(
            pk__in=with_quiet(Relationship.objects.filter(program=program))
            .filter(is_quiet=True)
            .values("pk")
        )
    for word in search.split()[:5]:
        relationships = relationships.filter(
            pk__in=RelationshipMember.objects.filter(
                Q(person__given_name__icontains=word) | Q(person__family_name__icontains=word)
            ).values("relationship")
        )
    return (
        relationships.select_related("focus_area")
        .prefetch_related(active_members())
        .order_by("-started_on", "-pk")
    )


def program_members_for_pairing(*, program: Program) -> tuple[QuerySet[FacultyProfile], ...]:
    """Mentees and mentors a director can put in a new relationship (peers may be either)."""

    def with_role(roles: Any) -> QuerySet[FacultyProfile]:
        # One filter() call, so the role and the program are checked on the same membership.
        return (
            FacultyProfile.objects.filter(memberships__program=program, memberships__role__in=roles)
            .select_related("department")
            .order_by("family_name", "given_name")
        )

    return with_role(MENTEE_ROLES), with_role(MENTOR_ROLES)


# --- One relationship --------------------------------------------------------------------------


@dataclass
class AgreementState:
    in_force: AgreementVersion | None
    pending: AgreementVersion | None
    revision: int
    confirmed_by: list[int]  # person ids who confirmed the pending version

    @property
    def current(self) -> AgreementVersion | None:
        return self.pending or self.in_force


def agreement_state(relationship: Relationship) -> AgreementState:
    versions = list(
        AgreementVersion.objects.filter(agreement__relationship=relationship)
        .select_related("agreement", "edited_by")
        .prefetch_related("goals", "confirmations")
        .order_by("-number")
    )
    in_force = next((v for v in versions if v.confirmed_at is not None), None)
    pending = versions[0] if versions and versions[0].confirmed_at is None else None
    revision = versions[0].agreement.revision if versions else 0
    confirmed_by = [c.person_id for c in pending.confirmations.all()] if pending else []
    return AgreementState(in_force, pending, revision, confirmed_by)


def agreed_meeting_mode(relationship: Relationship) -> str | None:
    """The first way of meeting the agreement names (the one in force, else the draft being
    agreed), or None without an agreement: a new meeting starts from it."""
    versions = AgreementVersion.objects.filter(agreement__relationship=relationship).order_by(
        F("confirmed_at").desc(nulls_last=True), "-number"
    )
    modes = versions.values_list("modes", flat=True).first()
    return next(iter(modes or ()), None)


def agreement_history(relationship: Relationship) -> list[AgreementVersion]:
    return list(
        AgreementVersion.objects.filter(agreement__relationship=relationship)
        .select_related("edited_by")
        .prefetch_related("goals", "confirmations__person")
        .order_by("-number")
    )


def relationship_members(relationship: Relationship) -> list[RelationshipMember]:
    return list(
        RelationshipMember.objects.filter(relationship=relationship, left_at__isnull=True)
        .select_related("person__user", "person__rank", "person__department", "person__institution")
        .order_by("side", "person__family_name")
    )


def meetings_of(relationship: Relationship) -> QuerySet[Meeting]:
    return (
        Meeting.objects.filter(relationship=relationship)
        .select_related("recap__written_by", "recap__confirmed_by")
        .annotate(agenda_count=Count("agenda_items", distinct=True))
        .order_by("-starts_at")
    )


def action_items_of(relationship: Relationship) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(relationship=relationship)
        .select_related("owner", "goal", "meeting")
        .order_by("status", "due_on", "pk")
    )


def mentee_goals(relationship: Relationship, *, readable: QuerySet[SelfAssessment]) -> list[Goal]:
    """The goals each mentee (or peer) of the relationship brings, as far as the viewer may read
    them: for each, the newest of their versions in `readable` (`access.versions_readable_by`:
    the viewer's own, or those shared with the viewer). A version nobody shared shows nothing."""
    mentees = RelationshipMember.objects.filter(
        relationship=relationship, side__in=RECEIVING_SIDES, left_at__isnull=True
    ).values("person")
    newest_readable = (
        readable.filter(person=OuterRef("assessment__person")).order_by("-version").values("pk")[:1]
    )
    return list(
        Goal.objects.filter(assessment__person__in=mentees, assessment__in=readable)
        .annotate(latest_pk=Subquery(newest_readable))
        .filter(assessment_id=F("latest_pk"))
        .select_related("assessment__person")
        .order_by("assessment__person__family_name", "horizon", "order")
    )


# --- One meeting -------------------------------------------------------------------------------


@dataclass
class CarryOver:
    """What the next session starts from (seed 001): last time's open action items and goals."""

    previous: Meeting | None
    open_items: list[ActionItem]
    goals: list[Goal]


def carry_over_for(meeting: Meeting, *, goals: list[Goal]) -> CarryOver:
    """Last time's open action items, and `goals`: the goals the viewer may read
    (`mentee_goals`)."""
    previous = (
        Meeting.objects.filter(
            relationship=meeting.relationship_id,
            starts_at__lt=meeting.starts_at,
            status__in=MET_STATUSES,
        )
        .order_by("-starts_at")
        .first()
    )
    open_items = list(
        ActionItem.objects.filter(
            relationship=meeting.relationship_id, status=ActionItemStatus.OPEN
        )
        .exclude(meeting=meeting)
        .select_related("owner", "goal")
        .order_by("due_on", "pk")
    )
    return CarryOver(previous, open_items, goals)


def agenda_of(meeting: Meeting) -> QuerySet[AgendaItem]:
    return meeting.agenda_items.select_related("goal", "added_by").order_by("order", "pk")


def recap_of(meeting: Meeting) -> Recap | None:
    return (
        Recap.objects.select_related("written_by", "confirmed_by").filter(meeting=meeting).first()
    )


# --- Calendar ----------------------------------------------------------------------------------


def calendar_meetings_for(person: FacultyProfile, *, since_days: int = 180) -> QuerySet[Meeting]:
    mine = RelationshipMember.objects.filter(person=person, left_at__isnull=True).values(
        "relationship"
    )
    return (
        Meeting.objects.filter(
            relationship__in=mine,
            starts_at__gte=timezone.now() - timedelta(days=since_days),
        )
        .exclude(status=MeetingStatus.CHECK_IN)
        .select_related("relationship__program", "scheduled_by")
        .prefetch_related(
            Prefetch(
                "relationship__members",
                # Users too: each event names its organiser and attendees by address.
                queryset=RelationshipMember.objects.filter(left_at__isnull=True).select_related(
                    "person__user"
                ),
                to_attr="active_members",
            )
        )
        .order_by("starts_at")
    )


# --- Home page next steps ----------------------------------------------------------------------


@dataclass(frozen=True)
class RelationshipStep:
    kind: str
    relationship: Relationship
    meeting: Meeting | None = None
    when: date | datetime | None = None


def next_steps_in_relationships(person: FacultyProfile) -> list[RelationshipStep]:
    """Agreement to confirm or review, pilot decision due, agenda to prepare, meeting to log,
    recap to confirm — one query each."""
    now, today = timezone.now(), timezone.localdate()
    memberships = RelationshipMember.objects.filter(person=person, left_at__isnull=True)
    mine = memberships.filter(relationship__stage__in=OPEN_STAGES).values("relationship")
    steps: list[RelationshipStep] = []

    for version in (
        AgreementVersion.objects.filter(agreement__relationship__in=mine, confirmed_at__isnull=True)
        .exclude(confirmations__person=person)
        .select_related("agreement__relationship")
    ):
        steps.append(RelationshipStep("agreement", version.agreement.relationship))

    # The agreement in force has reached its review date and nobody has proposed a new one.
    for version in (
        AgreementVersion.objects.filter(
            agreement__relationship__in=mine, confirmed_at__isnull=False, review_on__lte=today
        )
        .exclude(agreement__versions__number__gt=F("number"))
        .select_related("agreement__relationship")
    ):
        steps.append(
            RelationshipStep("review", version.agreement.relationship, when=version.review_on)
        )

    for member in memberships.filter(
        relationship__stage=RelationshipStage.PILOT,
        relationship__pilot_ends_on__lte=today + timedelta(days=14),
        pilot_confirmed_at__isnull=True,
    ).select_related("relationship"):
        steps.append(
            RelationshipStep("pilot", member.relationship, when=member.relationship.pilot_ends_on)
        )

    receiving = memberships.filter(
        relationship__stage__in=OPEN_STAGES, side__in=RECEIVING_SIDES
    ).values("relationship")
    for meeting in (
        Meeting.objects.filter(
            relationship__in=receiving,
            status=MeetingStatus.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(days=14),
        )
        .annotate(agenda_count=Count("agenda_items"))
        .filter(agenda_count=0)
        .select_related("relationship")
        .order_by("starts_at")
    ):
        steps.append(RelationshipStep("agenda", meeting.relationship, meeting, meeting.starts_at))

    for held in (
        Meeting.objects.filter(
            relationship__in=mine,
            status=MeetingStatus.SCHEDULED,
            starts_at__lte=now,
            starts_at__gte=now - timedelta(days=30),
        )
        .select_related("relationship")
        .order_by("starts_at")
    ):
        steps.append(RelationshipStep("log", held.relationship, held, held.starts_at))

    for recap in (
        Recap.objects.filter(meeting__relationship__in=mine, confirmed_at__isnull=True)
        .exclude(written_by=person)
        .select_related("meeting__relationship")
    ):
        steps.append(
            RelationshipStep(
                "recap", recap.meeting.relationship, recap.meeting, recap.meeting.starts_at
            )
        )
    return steps


def relationship_counts(person: FacultyProfile) -> dict[str, int]:
    """How many open relationships the person has on each side (for home-page links)."""
    rows = (
        RelationshipMember.objects.filter(
            person=person, left_at__isnull=True, relationship__stage__in=OPEN_STAGES
        )
        .values("side")
        .annotate(n=Count("pk"))
    )
    counts = {"receiving": 0, "guiding": 0}
    for row in rows:
        if row["side"] in RECEIVING_SIDES:
            counts["receiving"] += row["n"]
        if row["side"] in (*GUIDING_SIDES, MemberSide.PEER):
            counts["guiding"] += row["n"]
    return counts
