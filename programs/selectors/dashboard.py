"""Reads for the director's dashboard, the relationships table and mentor recognition.

Every page here is built from a fixed number of queries whatever the size of the program
(aggregates, conditional counts and correlated subqueries; never a query per row) — the tests
assert it with 1 and 60 relationships, and `bench/bench_dashboard.py` with 3,000.

"Quiet" is decided in exactly one place, `with_quiet`: the other party of this code base (the
reviews issue) may store `Relationship.quiet_since`; switching to it is a change to that one
function."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    BooleanField,
    Case,
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
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from programs.models import (
    GUIDING_SIDES,
    MENTEE_ROLES,
    MENTOR_ROLES,
    OPEN_STAGES,
    RECEIVING_SIDES,
    AcademicRank,
    AcademicStream,
    AgreementVersion,
    AssessmentStatus,
    Cohort,
    Concern,
    ConcernStatus,
    Department,
    FacultyProfile,
    Gender,
    Meeting,
    MeetingCadence,
    MeetingStatus,
    Membership,
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

MET_STATUSES = (MeetingStatus.HELD, MeetingStatus.CHECK_IN)
SMALL_CELL = 5  # groups smaller than this are not shown on their own (equity views)
MIN_REVIEWS_FOR_MEAN = 3  # below this a mentor's mean could identify a mentee


# --- Quiet, at risk, latest review: per-relationship annotations --------------------------------


def _cadences(extra: int | None = None) -> list[int]:
    values = set(MeetingCadence.values)
    if extra:
        values.add(extra)
    return sorted(values)


def with_quiet(relationships: QuerySet[Relationship]) -> QuerySet[Relationship]:
    """Annotate `last_met_at`, `cadence_days` (the agreement in force, else the program's
    default) and `is_quiet`: open, and no meeting or check-in within the cadence (counting from
    the start for a pair that has never met).

    The cadence differs per row, so the comparison is one OR-branch per cadence value (there are
    five): portable SQL without date arithmetic. The ONE place that decides "quiet"."""
    now = timezone.now()
    last_met = Subquery(
        Meeting.objects.filter(
            relationship=OuterRef("pk"), status__in=MET_STATUSES, starts_at__lte=now
        )
        .order_by("-starts_at")
        .values("starts_at")[:1]
    )
    agreed_cadence = Subquery(
        AgreementVersion.objects.filter(
            agreement__relationship=OuterRef("pk"), confirmed_at__isnull=False
        )
        .order_by("-number")
        .values("cadence_days")[:1],
        output_field=IntegerField(),
    )
    relationships = relationships.annotate(
        last_met_at=last_met,
        cadence_days=Coalesce(
            agreed_cadence, F("program__meeting_cadence_days"), output_field=IntegerField()
        ),
    )
    # "Not met since the cutoff" as NOT EXISTS, so the meetings subquery is not repeated in
    # every branch (PostgreSQL would run, and JIT-compile, each copy).
    silent = Q()
    for days in _cadences():
        cutoff = now - dt.timedelta(days=days)
        met_since = Exists(
            Meeting.objects.filter(
                relationship=OuterRef("pk"),
                status__in=MET_STATUSES,
                starts_at__gte=cutoff,
                starts_at__lte=now,
            )
        )
        silent |= Q(cadence_days=days, started_on__lt=cutoff.date()) & ~Q(met_since)
    return relationships.annotate(
        is_quiet=Case(
            When(Q(stage__in=OPEN_STAGES) & silent, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def open_risks(risks: QuerySet[RelationshipRisk] | None = None) -> QuerySet[RelationshipRisk]:
    risks = RelationshipRisk.objects.all() if risks is None else risks
    return risks.filter(relationship=OuterRef("pk"), cleared_at__isnull=True)


def with_signals(
    relationships: QuerySet[Relationship],
    *,
    director_concerns: QuerySet[Concern] | None = None,
    risks: QuerySet[RelationshipRisk] | None = None,
    review_requests: QuerySet[ReviewRequest] | None = None,
) -> QuerySet[Relationship]:
    """Quiet, at risk (an uncleared risk flag from reviews), the latest review answer, and —
    for directors — the number of unresolved concerns they may see. Directors' pages pass what
    access lets the viewer read (`concerns_for_director`, `risks_for_director`,
    `review_requests_for_director`), so a relationship the viewer is in shows none of it."""
    responses = ReviewResponse.objects.all()
    if review_requests is not None:
        responses = responses.filter(request__in=review_requests)
    latest = responses.filter(request__relationship=OuterRef("pk")).order_by("-submitted_at", "-pk")
    relationships = with_quiet(relationships).annotate(
        at_risk=Exists(open_risks(risks)),
        risk_reason=Subquery(open_risks(risks).order_by("-flagged_at").values("reason")[:1]),
        latest_score=Subquery(
            latest.values("score")[:1], output_field=DecimalField(max_digits=4, decimal_places=2)
        ),
        latest_choice=Subquery(latest.values("choice")[:1], output_field=CharField()),
        latest_review_at=Subquery(latest.values("submitted_at")[:1]),
    )
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
    return relationships


def _guiding_load() -> Subquery:
    """Open relationships a mentor membership's person guides in that membership's program."""
    return Coalesce(
        Subquery(
            RelationshipMember.objects.filter(
                person=OuterRef("person"),
                relationship__program=OuterRef("program"),
                relationship__stage__in=OPEN_STAGES,
                side__in=GUIDING_SIDES,
                left_at__isnull=True,
            )
            .order_by()
            .values("person")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def _has_open_relationship_as_mentee() -> Exists:
    return Exists(
        RelationshipMember.objects.filter(
            person=OuterRef("person"),
            relationship__program=OuterRef("program"),
            relationship__stage__in=OPEN_STAGES,
            side__in=RECEIVING_SIDES,
            left_at__isnull=True,
        )
    )


# --- The dashboard -------------------------------------------------------------------------------


@dataclass
class Waiting:
    membership: Membership
    since: dt.date

    @property
    def days(self) -> int:
        return max(0, (timezone.localdate() - self.since).days)


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
    charts: dict[str, Any] = field(default_factory=dict)
    computed_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def review_rate(self) -> int | None:
        return round(100 * self.reviews_done / self.reviews_due) if self.reviews_due else None

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
    counts = memberships.aggregate(
        mentee=Count("pk", filter=Q(role=Role.MENTEE)),
        mentor=Count("pk", filter=Q(role=Role.MENTOR)),
        both=Count("pk", filter=Q(role=Role.BOTH)),
        director=Count("pk", filter=Q(role=Role.DIRECTOR)),
        unmatched=Count(
            "pk", filter=Q(role__in=MENTEE_ROLES) & ~Q(_has_open_relationship_as_mentee())
        ),
        assessed=Count("pk", filter=Q(role__in=MENTEE_ROLES) & Q(Exists(submitted))),
    )
    # 2. The longest-waiting mentees with no open relationship.
    waiting_rows = list(
        memberships.filter(role__in=MENTEE_ROLES)
        .exclude(_has_open_relationship_as_mentee())
        .select_related("person__department", "cohort")
        .order_by("joined_at", "pk")[:10]
    )
    waiting = [
        Waiting(
            m,
            max(
                timezone.localtime(m.joined_at).date(),
                m.cohort.starts_on if m.cohort else dt.date.min,
            ),
        )
        for m in waiting_rows
    ]
    waiting.sort(key=lambda w: w.since)
    # 3. Mentors at or over capacity (plain tuples: there may be hundreds).
    full = [
        FullMentor(person_id, f"{given} {family}".strip(), load, capacity)
        for person_id, given, family, load, capacity in memberships.filter(role__in=MENTOR_ROLES)
        .annotate(load=_guiding_load())
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
            review_requests=review_requests,
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
    # 7. Match rate by rank, stream and gender of mentees.
    match_rows = list(
        memberships.filter(role__in=MENTEE_ROLES)
        .annotate(
            matched=Exists(
                RelationshipMember.objects.filter(
                    person=OuterRef("person"),
                    relationship__program=program,
                    side__in=RECEIVING_SIDES,
                )
            )
        )
        .values("person__rank__name", "person__stream__name", "person__gender", "matched")
        .annotate(n=Count("pk"))
        .order_by()
    )
    reviews_due = sum(r["n"] for r in review_rows)
    reviews_done = sum(r["done"] for r in review_rows)
    return Dashboard(
        program=program,
        participants={k: counts[k] for k in ("mentee", "mentor", "both", "director")},
        mentees_total=counts["mentee"] + counts["both"],
        unmatched_total=counts["unmatched"],
        waiting=waiting,
        mentors_full=full[:15],
        mentors_full_total=len(full),
        by_stage=[(v, label, stage_counts.get(v, 0)) for v, label in RelationshipStage.choices],
        open_total=sum(stage_counts.get(s, 0) for s in OPEN_STAGES),
        quiet_total=sum(1 for r in rows if r[3]),
        at_risk_total=sum(1 for r in rows if r[4] and r[0] in OPEN_STAGES),
        open_concerns=sum(r[5] for r in rows),
        reviews_due=reviews_due,
        reviews_done=reviews_done,
        assessments_done=counts["assessed"],
        charts={
            "meetings": meetings_per_month(meeting_rows, month_starts),
            "stages": stages_over_time(rows, month_starts),
            "scores": score_distribution(review_rows),
            "match": match_rate_by_group(match_rows),
        },
    )


# --- Chart data (pure functions over the rows fetched above) -------------------------------------


def meetings_per_month(rows: list[dict[str, Any]], months: list[dt.date]) -> list[tuple[str, int]]:
    by_month: dict[dt.date, int] = defaultdict(int)
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        by_month[month.replace(day=1)] += row["n"]
    return [(f"{m:%b %Y}", by_month.get(m, 0)) for m in months]


def stages_over_time(rows: list[tuple[Any, ...]], months: list[dt.date]) -> dict[str, list[Any]]:
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


def score_distribution(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
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


@dataclass(frozen=True)
class GroupRate:
    dimension: str
    group: str
    total: int
    matched: int

    @property
    def suppressed(self) -> bool:
        return self.total < SMALL_CELL

    @property
    def rate(self) -> int | None:
        if self.suppressed or not self.total:
            return None
        return round(100 * self.matched / self.total)


GENDER_LABELS = dict(Gender.choices)


def match_rate_by_group(rows: list[dict[str, Any]]) -> list[GroupRate]:
    """Share of mentees ever matched, by rank, stream and gender; groups under five people are
    suppressed (shown as "fewer than 5", never with their rate)."""
    dims = {
        "Rank": "person__rank__name",
        "Stream": "person__stream__name",
        "Gender": "person__gender",
    }
    result: list[GroupRate] = []
    for dimension, key in dims.items():
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in rows:
            value = row[key]
            if key == "person__gender":
                value = GENDER_LABELS.get(value or "", "Not stated") if value else "Not stated"
            group = value or "Not recorded"
            totals[group][0] += row["n"]
            if row["matched"]:
                totals[group][1] += row["n"]
        for group, (total, matched) in sorted(totals.items()):
            result.append(GroupRate(dimension, group, total, matched))
    return result


# --- The relationships table ---------------------------------------------------------------------

SORTS = {
    "started": ("-started_on", "-pk"),
    "-started": ("started_on", "pk"),
    "last_met": (F("last_met_at").asc(nulls_first=True), "pk"),
    "-last_met": (F("last_met_at").desc(nulls_last=True), "pk"),
    "next_meeting": (F("next_meeting_at").asc(nulls_last=True), "pk"),
    "score": (F("latest_score").asc(nulls_last=True), "pk"),
    "-score": (F("latest_score").desc(nulls_last=True), "pk"),
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


def relationships_table(
    *,
    program: Program,
    filters: TableFilters,
    director_concerns: QuerySet[Concern],
    risks: QuerySet[RelationshipRisk],
    review_requests: QuerySet[ReviewRequest],
) -> QuerySet[Relationship]:
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
        relationships = relationships.filter(at_risk=True, stage__in=OPEN_STAGES)
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
    return (
        relationships.select_related("focus_area", "cohort")
        .prefetch_related(members)
        .order_by(*SORTS.get(f.sort, SORTS["started"]))
    )


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

RECOGNITION_SORTS = {
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


def mentor_recognition(
    *, program: Program, review_requests: QuerySet[ReviewRequest], sort: str = "total"
) -> QuerySet[Membership]:
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
    return (
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
