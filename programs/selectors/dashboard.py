"""Reads for the director's dashboard, the relationships table and mentor recognition.

Every page here is built from a fixed number of queries whatever the size of the program
(aggregates, conditional counts and correlated subqueries; never a query per row) — the tests
assert it with 1 and 60 relationships, and `bench/bench_dashboard.py` with 3,000.

Every figure here (quiet, at risk, load, unmatched, match rate, waiting, review scores) comes
from `selectors.figures`, so the home page, the emails, the fairness view and the report agree."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypedDict, cast

from django.db.models import (
    Avg,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce, Greatest, TruncDate, TruncMonth
from django.utils import timezone
from django_stubs_ext import WithAnnotations

from mentorship.params import id_param, text_param
from programs.domain.figures import days_waited, waiting_from
from programs.models import (
    GUIDING_SIDES,
    MENTEE_ROLES,
    MENTOR_ROLES,
    MET_STATUSES,
    OPEN_STAGES,
    RECEIVING_SIDES,
    AcademicRank,
    AcademicStream,
    AssessmentStatus,
    Cohort,
    Concern,
    ConcernStatus,
    Department,
    FacultyProfile,
    Meeting,
    MeetingStatus,
    Membership,
    MembershipStatus,
    MentorTraining,
    Program,
    Relationship,
    RelationshipMember,
    RelationshipRisk,
    RelationshipStage,
    ReviewRequest,
    ReviewResponse,
    Role,
    SelfAssessment,
)
from programs.selectors.figures import (
    MatchRates,
    at_risk_condition,
    guiding_load,
    has_mentor,
    match_rates,
    unmatched_mentees,
    with_at_risk,
    with_quiet,
    with_review_scores,
)

MIN_REVIEWS_FOR_MEAN = 3  # below this a mentor's mean could identify a mentee


# --- Quiet, at risk, latest review: per-relationship annotations --------------------------------


class Signals(TypedDict):
    """What `with_signals` annotates: the review scores unless `review_scores` is off, the
    concern count only with `director_concerns`."""

    last_met_at: dt.datetime | None
    cadence_days: int
    is_quiet: bool
    at_risk: bool
    risk_reason: str | None
    mentee_score: Decimal | None
    mentor_score: Decimal | None
    lowest_score: Decimal | None
    concern_count: int


def with_signals(
    relationships: QuerySet[Relationship],
    *,
    director_concerns: QuerySet[Concern] | None = None,
    risks: QuerySet[RelationshipRisk] | None = None,
    review_requests: QuerySet[ReviewRequest] | None = None,
    review_scores: bool = True,
) -> QuerySet[WithAnnotations[Relationship, Signals]]:
    """Quiet, at risk, each party's latest review score (all from `selectors.figures`), and —
    for directors — the number of unresolved concerns they may see. Directors' pages pass what
    access lets the viewer read (`concerns_for_director`, `risks_for_director`,
    `review_requests_for_director`), so a relationship the viewer is in shows none of it."""
    relationships = with_at_risk(with_quiet(relationships), risks=risks)
    if review_scores:
        relationships = with_review_scores(relationships, review_requests=review_requests)
    if director_concerns is not None:
        unresolved = (
            director_concerns.filter(relationship=OuterRef("pk"))
            .exclude(status=ConcernStatus.RESOLVED)
            .order_by()
            .values("relationship")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        )
        relationships = relationships.annotate(
            concern_count=Coalesce(Subquery(unresolved, output_field=IntegerField()), 0)
        )
    # The plugin types each annotate() with its own fields only; Signals lists them all.
    return cast("QuerySet[WithAnnotations[Relationship, Signals]]", relationships)


# --- The dashboard -------------------------------------------------------------------------------


@dataclass
class Waiting:
    membership: Membership
    since: dt.date

    @property
    def days(self) -> int:
        return days_waited(self.since, timezone.localdate())


@dataclass(frozen=True)
class FullMentor:
    person_id: int
    name: str
    load: int
    mentor_capacity: int


@dataclass
class Dashboard:
    program: Program
    participants: dict[str, int]
    mentees_total: int
    unmatched_total: int
    waiting: list[Waiting]
    mentors_full: list[FullMentor]
    mentors_full_total: int
    by_stage: list[tuple[str, str, int]]
    open_total: int
    quiet_total: int
    at_risk_total: int
    open_concerns: int
    reviews_due: int
    reviews_done: int
    assessments_done: int
    match: MatchRates
    charts: dict[str, Any] = field(default_factory=dict)
    computed_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def review_rate(self) -> int | None:
        return round(100 * self.reviews_done / self.reviews_due) if self.reviews_due else None

    @property
    def match_rate(self) -> int | None:
        return self.match.rate

    @property
    def assessment_rate(self) -> int | None:
        if not self.mentees_total:
            return None
        return round(100 * self.assessments_done / self.mentees_total)


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first = today.replace(day=1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(starts))


def dashboard_for(
    *,
    program: Program,
    director_concerns: QuerySet[Concern],
    risks: QuerySet[RelationshipRisk],
    review_requests: QuerySet[ReviewRequest],
    months: int = 12,
) -> Dashboard:
    """Everything on the dashboard in eight queries."""
    today = timezone.localdate()
    submitted = SelfAssessment.objects.filter(
        person=OuterRef("person"), status=AssessmentStatus.SUBMITTED
    )
    memberships = Membership.objects.filter(program=program)
    # 1. Participants by role, mentees without a mentor, self-evaluation completion.
    active_mentee = Q(role__in=MENTEE_ROLES, status=MembershipStatus.ACTIVE)
    counts = memberships.aggregate(
        mentee=Count("pk", filter=Q(role=Role.MENTEE)),
        mentor=Count("pk", filter=Q(role=Role.MENTOR)),
        both=Count("pk", filter=Q(role=Role.BOTH)),
        director=Count("pk", filter=Q(role=Role.DIRECTOR)),
        active_mentees=Count("pk", filter=active_mentee),
        unmatched=Count("pk", filter=active_mentee & ~Q(has_mentor())),
        assessed=Count("pk", filter=active_mentee & Q(Exists(submitted))),
    )
    # 2. The longest-waiting mentees with no open relationship.
    waiting = [
        Waiting(m, waiting_from(timezone.localtime(m.joined_at).date(), m.cohort_starts_on))
        for m in unmatched_mentees(program)
        .select_related("person__department")
        .annotate(cohort_starts_on=F("cohort__starts_on"))
        .order_by(
            Greatest(TruncDate("joined_at"), Coalesce("cohort__starts_on", TruncDate("joined_at"))),
            "joined_at",
            "pk",
        )[:10]
    ]
    waiting.sort(key=lambda w: w.since)
    # 3. Mentors at or over capacity (plain tuples: there may be hundreds).
    full = [
        FullMentor(person_id, f"{given} {family}".strip(), load, capacity)
        for person_id, given, family, load, capacity in memberships.filter(role__in=MENTOR_ROLES)
        .annotate(load=guiding_load())
        .filter(load__gte=F("mentor_capacity"))
        .order_by("-load", "person__family_name", "pk")
        .values_list(
            "person_id", "person__given_name", "person__family_name", "load", "mentor_capacity"
        )
    ]
    # 4. Every relationship's stage, dates, quiet, risk and concerns (small columns only).
    rows = list(
        with_signals(
            Relationship.objects.filter(program=program),
            director_concerns=director_concerns,
            risks=risks,
            review_scores=False,
        )
        .values_list("stage", "started_on", "ended_at", "is_quiet", "at_risk", "concern_count")
        .order_by()
    )
    stage_counts = Counter(r[0] for r in rows)
    # 5. Reviews due so far and answered, with the score distribution.
    review_rows = list(
        review_requests.filter(relationship__program=program, opens_on__lte=today)
        .values("response__score")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(completed_at__isnull=False)))
        .order_by()
    )
    # 6. Meetings held per month.
    month_starts = _month_starts(today, months)
    meeting_rows = list(
        Meeting.objects.filter(
            relationship__program=program,
            status__in=MET_STATUSES,
            starts_at__gte=timezone.make_aware(dt.datetime.combine(month_starts[0], dt.time.min)),
            starts_at__lte=timezone.now(),
        )
        .annotate(month=TruncMonth("starts_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # 7. Match rate, overall and by rank, stream and gender of mentees.
    match = match_rates(program=program)
    reviews_due = sum(r["n"] for r in review_rows)
    reviews_done = sum(r["done"] for r in review_rows)
    return Dashboard(
        program=program,
        participants={k: counts[k] for k in ("mentee", "mentor", "both", "director")},
        mentees_total=counts["active_mentees"],
        unmatched_total=counts["unmatched"],
        waiting=waiting,
        mentors_full=full[:15],
        mentors_full_total=len(full),
        by_stage=[(v, label, stage_counts.get(v, 0)) for v, label in RelationshipStage.choices],
        open_total=sum(stage_counts.get(s, 0) for s in OPEN_STAGES),
        quiet_total=sum(1 for r in rows if r[3]),
        at_risk_total=sum(1 for r in rows if r[4]),
        open_concerns=sum(r[5] for r in rows),
        reviews_due=reviews_due,
        reviews_done=reviews_done,
        assessments_done=counts["assessed"],
        match=match,
        charts={
            "meetings": meetings_per_month(meeting_rows, month_starts),
            "stages": stages_over_time(rows, month_starts),
            "scores": score_distribution(review_rows),
            "match": match.groups,
        },
    )


# --- Chart data (pure functions over the rows fetched above) -------------------------------------


def meetings_per_month(
    rows: Sequence[Mapping[str, Any]], months: list[dt.date]
) -> list[tuple[str, int]]:
    by_month: dict[dt.date, int] = defaultdict(int)
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        by_month[month.replace(day=1)] += row["n"]
    return [(f"{m:%b %Y}", by_month.get(m, 0)) for m in months]


class StageSeries(TypedDict):
    labels: list[str]
    series: dict[str, list[int]]


def stages_over_time(rows: list[tuple[Any, ...]], months: list[dt.date]) -> StageSeries:
    """At the end of each month: how many relationships were in their pilot, active (open past
    the pilot or concluding), concluded, or ended early. Pilots are told apart by start date;
    a pair's current stage is used for closed ones."""
    series: dict[str, list[int]] = {"Open": [], "Concluded": [], "Ended early": []}
    labels = []
    dated = [
        (stage, started_on, timezone.localtime(ended_at).date() if ended_at else None)
        for stage, started_on, ended_at, *_ in rows
    ]
    for start in months:
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        open_n = concluded = ended = 0
        for stage, started_on, ended_on in dated:
            if started_on > end:
                continue
            if ended_on is None or ended_on > end:
                open_n += 1
            elif stage == RelationshipStage.CONCLUDED:
                concluded += 1
            else:
                ended += 1
        labels.append(f"{start:%b %Y}")
        series["Open"].append(open_n)
        series["Concluded"].append(concluded)
        series["Ended early"].append(ended)
    return {"labels": labels, "series": series}


SCORE_BUCKETS = [("1–1.9", 1, 2), ("2–2.9", 2, 3), ("3–3.9", 3, 4), ("4–5", 4, 6)]


def score_distribution(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, int]]:
    counts = dict.fromkeys((label for label, *_ in SCORE_BUCKETS), 0)
    for row in rows:
        score = row["response__score"]
        if score is None:
            continue
        for label, low, high in SCORE_BUCKETS:
            if low <= Decimal(score) < high:
                counts[label] += row["done"]
                break
    return list(counts.items())


# --- The relationships table ---------------------------------------------------------------------

# What each sort key orders by (column names or expressions), ending with a unique column.
Ordering = tuple[str | OrderBy, ...]
SORTS: dict[str, Ordering] = {
    "started": ("-started_on", "-pk"),
    "-started": ("started_on", "pk"),
    "last_met": (F("last_met_at").asc(nulls_first=True), "pk"),
    "-last_met": (F("last_met_at").desc(nulls_last=True), "pk"),
    "next_meeting": (F("next_meeting_at").asc(nulls_last=True), "pk"),
    "score": (F("lowest_score").asc(nulls_last=True), "pk"),
    "-score": (F("lowest_score").desc(nulls_last=True), "pk"),
    "stage": ("stage", "-started_on", "pk"),
    "mentee": ("mentee_name", "pk"),
}


@dataclass(frozen=True)
class TableFilters:
    stage: str = ""
    at_risk: bool = False
    quiet: bool = False
    department: int | None = None
    rank: int | None = None
    stream: int | None = None
    cohort: int | None = None
    mentor: int | None = None
    mentor_name: str = ""
    sort: str = "started"

    @property
    def is_filtered(self) -> bool:
        return any(
            (
                self.stage,
                self.at_risk,
                self.quiet,
                self.department,
                self.rank,
                self.stream,
                self.cohort,
                self.mentor,
                self.mentor_name,
            )
        )


TABLE_FILTER_NAMES = (
    "stage",
    "at_risk",
    "quiet",
    "department",
    "rank",
    "stream",
    "cohort",
    "mentor",
    "mentor_name",
    "sort",
)


def table_filters(params: Mapping[str, str]) -> TableFilters:
    """The relationships table's filters from its query string (the page's, or the one an
    export stored): unknown values fall back to "no filter"."""
    sort = params.get("sort", "started")
    stage = params.get("stage", "")
    return TableFilters(
        stage=stage if stage in {"open", *RelationshipStage.values} else "",
        at_risk=params.get("at_risk") == "1",
        quiet=params.get("quiet") == "1",
        department=id_param(params.get("department")),
        rank=id_param(params.get("rank")),
        stream=id_param(params.get("stream")),
        cohort=id_param(params.get("cohort")),
        mentor=id_param(params.get("mentor")),
        mentor_name=text_param(params.get("mentor_name")),
        sort=sort if sort in SORTS else "started",
    )


class TableRow(Signals):
    next_meeting_at: dt.datetime | None
    mentee_name: str | None
    active_members: list[RelationshipMember]  # prefetched: the current members, side by side


def relationships_table(
    *,
    program: Program,
    filters: TableFilters,
    director_concerns: QuerySet[Concern],
    risks: QuerySet[RelationshipRisk],
    review_requests: QuerySet[ReviewRequest],
) -> QuerySet[WithAnnotations[Relationship, TableRow]]:
    """The program's relationships with last and next meeting, the latest review signal and
    the director's concern count, filtered and sorted in SQL (so the paginator's LIMIT applies)."""
    now = timezone.now()
    upcoming = Meeting.objects.filter(
        relationship=OuterRef("pk"), status=MeetingStatus.SCHEDULED, starts_at__gt=now
    ).order_by("starts_at")
    mentees = RelationshipMember.objects.filter(
        relationship=OuterRef("pk"), side__in=RECEIVING_SIDES, left_at__isnull=True
    ).order_by("person__family_name", "person__given_name")
    relationships = with_signals(
        Relationship.objects.filter(program=program),
        director_concerns=director_concerns,
        risks=risks,
        review_requests=review_requests,
    ).annotate(
        next_meeting_at=Subquery(upcoming.values("starts_at")[:1]),
        mentee_name=Subquery(mentees.values("person__family_name")[:1]),
    )
    f = filters
    if f.stage in RelationshipStage.values:
        relationships = relationships.filter(stage=f.stage)
    elif f.stage == "open":
        relationships = relationships.filter(stage__in=OPEN_STAGES)
    if f.at_risk:
        relationships = relationships.filter(at_risk_condition(risks))  # a semi-join, not the CASE
    if f.quiet:
        relationships = relationships.filter(is_quiet=True)
    person_filter = Q()
    if f.department:
        person_filter &= Q(person__department_id=f.department)
    if f.rank:
        person_filter &= Q(person__rank_id=f.rank)
    if f.stream:
        person_filter &= Q(person__stream_id=f.stream)
    if person_filter:
        relationships = relationships.filter(
            Exists(
                RelationshipMember.objects.filter(
                    person_filter, relationship=OuterRef("pk"), side__in=RECEIVING_SIDES
                )
            )
        )
    if f.cohort:
        relationships = relationships.filter(cohort_id=f.cohort)
    if f.mentor:
        relationships = relationships.filter(
            Exists(
                RelationshipMember.objects.filter(
                    relationship=OuterRef("pk"), person_id=f.mentor, side__in=GUIDING_SIDES
                )
            )
        )
    for word in f.mentor_name.split()[:3]:
        relationships = relationships.filter(
            Exists(
                RelationshipMember.objects.filter(
                    Q(person__given_name__icontains=word) | Q(person__family_name__icontains=word),
                    relationship=OuterRef("pk"),
                    side__in=GUIDING_SIDES,
                )
            )
        )
    members = Prefetch(
        "members",
        queryset=RelationshipMember.objects.filter(left_at__isnull=True)
        .select_related("person__department", "person__rank")
        .order_by("side", "person__family_name"),
        to_attr="active_members",
    )
    table = (
        relationships.select_related("focus_area", "cohort")
        .prefetch_related(members)
        .order_by(*SORTS.get(f.sort, SORTS["started"]))
    )
    return cast("QuerySet[WithAnnotations[Relationship, TableRow]]", table)


@dataclass
class FilterChoices:
    departments: list[tuple[int, str]]
    ranks: list[tuple[int, str]]
    streams: list[tuple[int, str]]
    cohorts: list[tuple[int, str]]


def filter_choices(*, program: Program) -> FilterChoices:
    """The four short option lists of the table's filters, in one UNION query."""
    parts = [
        Department.objects.filter(institution=program.institution_id)
        .annotate(kind=Value("department", output_field=CharField()))
        .values_list("kind", "pk", "name"),
        AcademicRank.objects.annotate(kind=Value("rank", output_field=CharField())).values_list(
            "kind", "pk", "name"
        ),
        AcademicStream.objects.annotate(kind=Value("stream", output_field=CharField())).values_list(
            "kind", "pk", "name"
        ),
        Cohort.objects.filter(program=program)
        .annotate(kind=Value("cohort", output_field=CharField()))
        .values_list("kind", "pk", "name"),
    ]
    parts = [part.order_by() for part in parts]
    rows = parts[0].union(*parts[1:], all=True)
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for kind, pk, name in rows:
        found[kind].append((pk, name))
    return FilterChoices(
        departments=sorted(found["department"], key=lambda x: x[1]),
        ranks=found["rank"],
        streams=found["stream"],
        cohorts=sorted(found["cohort"], key=lambda x: x[1]),
    )


def mentor_name(*, program: Program, person_id: int | None) -> str:
    if not person_id:
        return ""
    person = FacultyProfile.objects.filter(
        pk=person_id, memberships__program=program, memberships__role__in=MENTOR_ROLES
    ).first()
    return person.display_name if person else ""


# --- Mentor recognition --------------------------------------------------------------------------

RECOGNITION_SORTS: dict[str, Ordering] = {
    "name": ("person__family_name", "person__given_name", "pk"),
    "current": ("-current_mentees", "person__family_name", "pk"),
    "total": ("-total_mentees", "person__family_name", "pk"),
    "meetings": ("-meetings_held", "person__family_name", "pk"),
    "score": (F("mean_score").desc(nulls_last=True), "person__family_name", "pk"),
    "training": ("-trainings", "person__family_name", "pk"),
}


def _aggregate(queryset: QuerySet[Any], expression: Any, output_field: Any) -> Subquery:
    """A correlated subquery yielding one aggregate over `queryset` (grouped by a constant, so
    the database returns a single row)."""
    return Subquery(
        queryset.order_by().annotate(g=Value(1)).values("g").annotate(v=expression).values("v")[:1],
        output_field=output_field,
    )


class Recognition(TypedDict):
    current_mentees: int
    total_mentees: int
    meetings_held: int
    review_count: int
    mean_score: Decimal | None
    trainings: int
    last_training_on: dt.date | None


def mentor_recognition(
    *, program: Program, review_requests: QuerySet[ReviewRequest], sort: str = "total"
) -> QuerySet[WithAnnotations[Membership, Recognition]]:
    """One row per mentor of the program: current and total mentees, meetings held in their
    relationships, the mean review score given by their mentees with the number of responses
    (so the page can suppress small numbers), and mentor training completed. Scores come only
    from `review_requests` (the viewer's `access.review_requests_for_director`): a director
    never sees what their own mentees said of them."""
    # Used two levels down (inside each aggregate's subquery), hence the doubled OuterRef.
    guided = RelationshipMember.objects.filter(
        person=OuterRef(OuterRef("person")),
        relationship__program=OuterRef(OuterRef("program")),
        side__in=GUIDING_SIDES,
    )
    current = guided.filter(relationship__stage__in=OPEN_STAGES, left_at__isnull=True)
    mentees_of = lambda relationships: RelationshipMember.objects.filter(  # noqa: E731
        relationship__in=relationships.values("relationship"), side__in=RECEIVING_SIDES
    )
    meetings = Meeting.objects.filter(
        relationship__in=guided.values("relationship"),
        status__in=MET_STATUSES,
        starts_at__lte=timezone.now(),
    )
    from_mentees = ReviewResponse.objects.filter(
        request__in=review_requests,
        request__relationship__in=guided.values("relationship"),
        request__respondent__relationship_memberships__relationship=F("request__relationship"),
        request__respondent__relationship_memberships__side__in=RECEIVING_SIDES,
        score__isnull=False,
    )
    trainings = MentorTraining.objects.filter(person=OuterRef("person"))
    integer = IntegerField()
    rows = (
        Membership.objects.filter(program=program, role__in=MENTOR_ROLES)
        .select_related("person__department", "person__rank")
        .annotate(
            current_mentees=Coalesce(
                _aggregate(
                    mentees_of(current).filter(left_at__isnull=True),
                    Count("person", distinct=True),
                    integer,
                ),
                0,
            ),
            total_mentees=Coalesce(
                _aggregate(mentees_of(guided), Count("person", distinct=True), integer), 0
            ),
            meetings_held=Coalesce(_aggregate(meetings, Count("pk"), integer), 0),
            review_count=Coalesce(_aggregate(from_mentees, Count("pk"), integer), 0),
            mean_score=_aggregate(
                from_mentees, Avg("score"), DecimalField(max_digits=6, decimal_places=3)
            ),
            trainings=Coalesce(_aggregate(trainings, Count("pk"), integer), 0),
            last_training_on=Subquery(
                trainings.order_by("-completed_on").values("completed_on")[:1]
            ),
        )
        .order_by(*RECOGNITION_SORTS.get(sort, RECOGNITION_SORTS["total"]))
    )
    # The plugin cannot type an aggregate's subquery; Recognition says what each one is.
    return cast("QuerySet[WithAnnotations[Membership, Recognition]]", rows)
