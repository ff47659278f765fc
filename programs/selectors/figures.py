"""One selector per figure directors see: quiet, at risk, mentor load, unmatched, match rate,
waiting time and each party's latest review score.

The home page, the dashboard, the relationships table, the fairness view, the quiet and
at-risk emails and the exported report all call these, so a figure reads the same everywhere and
follows the program's settings (cadence, grace) everywhere. The definitions themselves (and the
text shown next to each figure) are in `programs/domain/figures.py`."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypedDict, cast

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django_stubs_ext import WithAnnotations

from programs.domain.figures import (
    QUIET_AFTER_CYCLES,
    SMALL_CELL,
    GroupRate,
    Mentee,
    days_waited,
    match_rates_by_group,
    rate,
    waiting_from,
)
from programs.domain.outcomes import (
    DEFAULT_YEARS,
    Career,
    Member,
    OutcomeRow,
    comparison_for,
    outcome_row,
)
from programs.domain.review_scores import subscale_label
from programs.models import (
    GUIDING_SIDES,
    MENTEE_ROLES,
    MENTOR_ROLES,
    OPEN_STAGES,
    RECEIVING_SIDES,
    AgreementVersion,
    Gender,
    ItemPolarity,
    Meeting,
    MeetingCadence,
    Membership,
    MembershipStatus,
    MentorTraining,
    Program,
    Relationship,
    RelationshipMember,
    RelationshipOutcome,
    RelationshipRisk,
    ReviewAnswer,
    ReviewRequest,
    ReviewResponse,
    Role,
)
from programs.models.meetings import MET_STATUSES

GENDER_LABELS = dict(Gender.choices)


class DaysBefore(Func):
    """`day` minus an integer expression of days, as a date (PostgreSQL and SQLite)."""

    output_field = DateField()
    postgresql_template = "(%(expressions)s)"
    sqlite_function = "date"

    def __init__(self, day: dt.date, days: Any) -> None:
        super().__init__(Value(day, output_field=DateField()), days)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=self.postgresql_template,
            arg_joiner="::date - ",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=f"{self.sqlite_function}(%(expressions)s || ' days')",
            arg_joiner=", '-' || ",
            **extra,
        )


class MidnightDaysBefore(DaysBefore):
    """00:00 UTC at the start of `day` minus `days`, as a timestamp: lets "met on a later day"
    be a range condition on `starts_at`, which the meetings index answers."""

    output_field = DateTimeField()
    postgresql_template = "((%(expressions)s)::timestamp AT TIME ZONE 'UTC')"
    sqlite_function = "datetime"


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=timezone.get_current_timezone())


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


# --- Quiet ---------------------------------------------------------------------------------------


class Quiet(TypedDict):
    last_met_at: dt.datetime | None
    cadence_days: int
    is_quiet: bool


def with_quiet(
    relationships: QuerySet[Relationship], *, now: dt.datetime | None = None
) -> QuerySet[WithAnnotations[Relationship, Quiet]]:
    """Annotate `last_met_at`, `cadence_days` (the latest confirmed agreement's, else the
    program's) and `is_quiet`: open, and the later of the last meeting or check-in and the
    start is at least two cycles plus the program's grace ago — `domain.figures.is_quiet` in
    SQL, so that lists can filter, count and sort on it. Days are UTC days, as in the
    reminders sweep that nudges the pair and alerts directors with the same rule."""
    now = now or timezone.now()
    last_met = Subquery(
        Meeting.objects.filter(
            relationship=OuterRef("pk"), status__in=MET_STATUSES, starts_at__lte=now
        )
        .order_by("-starts_at")
        .values("starts_at")[:1]
    )
    relationships = with_cadence(relationships.annotate(last_met_at=last_met))
    # One branch per cadence (there are five), so each branch's cutoff is plain arithmetic on
    # the program's grace, and "not met since" is a NOT EXISTS the database stops early on.
    today = now.astimezone(dt.UTC).date()
    cutoffs: dict[str, DaysBefore] = {}
    silent = Q()
    for days in MeetingCadence.values:
        quiet_after = Value(QUIET_AFTER_CYCLES * days) + F("program__checkin_grace_days")
        # Quiet if the start is on or before the cutoff day, and no meeting from the next day on.
        cutoffs[f"quiet_cutoff_{days}"] = DaysBefore(today, quiet_after)
        cutoffs[f"quiet_met_from_{days}"] = MidnightDaysBefore(today, quiet_after - 1)
        met_since = Exists(
            Meeting.objects.filter(
                relationship=OuterRef("pk"),
                status__in=MET_STATUSES,
                starts_at__lte=now,
                starts_at__gte=OuterRef(f"quiet_met_from_{days}"),
            )
        )
        silent |= Q(cadence_days=days, started_on__lte=F(f"quiet_cutoff_{days}")) & ~Q(met_since)
    # Aliases, not annotations: inlined where used, never selected.
    quiet = relationships.alias(**cutoffs).annotate(
        is_quiet=Case(
            When(Q(stage__in=OPEN_STAGES) & silent, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    # The plugin types each annotate() with its own fields only; these are all three.
    return cast("QuerySet[WithAnnotations[Relationship, Quiet]]", quiet)


def quiet_relationships(*, program: Program | int) -> QuerySet[Relationship]:
    return with_quiet(Relationship.objects.filter(program=program)).filter(is_quiet=True)


# --- At risk -------------------------------------------------------------------------------------


def open_risks(risks: QuerySet[RelationshipRisk] | None = None) -> QuerySet[RelationshipRisk]:
    """Uncleared flags of the outer relationship, among `risks` when given: what the viewer may
    know of (`access.risks_for_director`), never a flag on their own relationship."""
    risks = RelationshipRisk.objects.all() if risks is None else risks
    return risks.filter(relationship=OuterRef("pk"), cleared_at__isnull=True)


def at_risk_condition(risks: QuerySet[RelationshipRisk] | None = None) -> Q:
    """Current, with a risk flag from a review that no director has cleared."""
    return Q(stage__in=OPEN_STAGES) & Q(Exists(open_risks(risks)))


class AtRisk(TypedDict):
    at_risk: bool
    risk_reason: str | None


def with_at_risk(
    relationships: QuerySet[Relationship], *, risks: QuerySet[RelationshipRisk] | None = None
) -> QuerySet[WithAnnotations[Relationship, AtRisk]]:
    return relationships.annotate(
        at_risk=Case(
            When(at_risk_condition(risks), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        risk_reason=Subquery(open_risks(risks).order_by("-flagged_at").values("reason")[:1]),
    )


# --- Each party's latest review score ------------------------------------------------------------


def _latest_answer(
    sides: tuple[str, ...], review_requests: QuerySet[ReviewRequest] | None = None
) -> QuerySet[ReviewResponse]:
    """The most recent answered review of the relationship by someone on these sides (one
    filter call, so the membership joined is the respondent's in this relationship), among
    `review_requests` when given (the viewer's `access.review_requests_for_director`)."""
    responses = ReviewResponse.objects.all()
    if review_requests is not None:
        responses = responses.filter(request__in=review_requests)
    return responses.filter(
        request__relationship=OuterRef("pk"),
        request__respondent__relationship_memberships__relationship=OuterRef("pk"),
        request__respondent__relationship_memberships__side__in=sides,
    ).order_by("-submitted_at", "-pk")


def _five_point_score() -> Any:
    """The score placed on 1–5 (`domain.review_scores.on_five_point_scale`), in SQL."""
    low, high = F("request__instrument__scale_min"), F("request__instrument__scale_max")
    score = Cast("score", FloatField())
    return ExpressionWrapper(
        Value(1.0) + (score - low) * Value(4.0) / (high - low), output_field=FloatField()
    )


class LowerOf(Func):
    """The lower of two values, ignoring a missing one (PostgreSQL's LEAST does; SQLite's MIN
    would return NULL)."""

    function = "LEAST"
    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        a, b = self.source_expressions
        both = Func(a, b, function="MIN", output_field=FloatField())
        return compiler.compile(Coalesce(both, a, b, output_field=FloatField()))


def with_review_scores(
    relationships: QuerySet[Relationship],
    *,
    review_requests: QuerySet[ReviewRequest] | None = None,
) -> QuerySet[Relationship]:
    """`mentee_score` and `mentor_score`: each side's latest answer placed on 1–5 (peers count
    as mentees), and `lowest_score`, the lower of the two (for sorting: the pair's weaker
    signal). Answers and comments never leave the reviews pages."""
    annotations: dict[str, Any] = {}
    for name, sides in (("mentee", RECEIVING_SIDES), ("mentor", GUIDING_SIDES)):
        annotations[f"{name}_score"] = Subquery(
            _latest_answer(sides, review_requests)
            .annotate(five=_five_point_score())
            .values("five")[:1],
            output_field=FloatField(),
        )
    return relationships.annotate(**annotations).annotate(
        lowest_score=LowerOf(F("mentee_score"), F("mentor_score"))
    )


# --- Mentor load ---------------------------------------------------------------------------------


def guiding_load() -> Coalesce:
    """For Membership rows: the open relationships the person guides (mentor or facilitator,
    not having left) in that membership's program. The true load: never capped at capacity."""
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
            .annotate(n=Count("relationship", distinct=True))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def mentor_loads(*, program: Program, person_ids: list[int] | None = None) -> dict[int, int]:
    """Person id -> current load in the program, one query."""
    rows = RelationshipMember.objects.filter(
        relationship__program=program,
        relationship__stage__in=OPEN_STAGES,
        side__in=GUIDING_SIDES,
        left_at__isnull=True,
    )
    if person_ids is not None:
        rows = rows.filter(person_id__in=person_ids)
    return dict(
        rows.order_by()
        .values("person_id")
        .annotate(n=Count("relationship", distinct=True))
        .values_list("person_id", "n")
    )


def load_text(load: int, capacity: int) -> str:
    text = f"{load} of {capacity} place{'s' if capacity != 1 else ''} taken"
    return f"{text} (over capacity)" if load > capacity else text


# --- Unmatched, match rate -----------------------------------------------------------------------


def has_mentor(on: dt.date | None = None) -> Exists:
    """For Membership rows: the person is mentored (mentee or peer, not having left) in a
    current relationship of that program — or, given `on`, in one open at the end of that day."""
    if on is None:
        current = Q(relationship__stage__in=OPEN_STAGES, left_at__isnull=True)
    else:
        day_end = _day_end(on)
        current = (
            Q(relationship__started_on__lte=on)
            & (Q(relationship__ended_at__isnull=True) | Q(relationship__ended_at__gt=day_end))
            & (Q(left_at__isnull=True) | Q(left_at__gt=day_end))
        )
    return Exists(
        RelationshipMember.objects.filter(
            current,
            person=OuterRef("person"),
            relationship__program=OuterRef("program"),
            side__in=RECEIVING_SIDES,
        )
    )


# A program, its id, or OuterRef("pk") when counted per program in a subquery.
ProgramRef = Program | int | OuterRef


def active_mentees(program: ProgramRef, on: dt.date | None = None) -> QuerySet[Membership]:
    """The people a match rate counts: active mentee memberships (a paused mentee is not
    waiting for anyone) — given `on`, those who had joined by the end of that day."""
    mentees = Membership.objects.filter(
        program=program, role__in=MENTEE_ROLES, status=MembershipStatus.ACTIVE
    )
    return mentees if on is None else mentees.filter(joined_at__lte=_day_end(on))


def unmatched_mentees(program: ProgramRef) -> QuerySet[Membership]:
    return active_mentees(program).exclude(has_mentor())


@dataclass(frozen=True)
class MatchRates:
    mentees: int
    matched: int
    groups: list[GroupRate]

    @property
    def unmatched(self) -> int:
        return self.mentees - self.matched

    @property
    def rate(self) -> int | None:
        return rate(self.matched, self.mentees)

    @property
    def people(self) -> int:  # the fairness view's "all mentees" row reads like a group
        return self.mentees


def mentee_facts(program: Program, on: dt.date | None = None) -> list[Mentee]:
    """The active mentees' rank, stream, gender (labels) and whether they have a mentor (now,
    or at the end of `on`), grouped in the database (one row per combination, with its count)."""
    return [
        Mentee(
            rank or "",
            stream or "",
            GENDER_LABELS.get(gender, "") if gender else "",
            matched,
            count,
        )
        for rank, stream, gender, matched, count in active_mentees(program, on)
        .annotate(matched=has_mentor(on))
        .values("person__rank__name", "person__stream__name", "person__gender", "matched")
        .annotate(n=Count("pk"))
        .values_list("person__rank__name", "person__stream__name", "person__gender", "matched", "n")
        .order_by()
    ]


def match_rates(*, program: Program, on: dt.date | None = None) -> MatchRates:
    """The match rate and its breakdown by rank, stream and gender (small cells hidden), in one
    query — now, or at the end of the day `on` (the report's period). The fairness view, the
    dashboard's chart and the report use it."""
    mentees = mentee_facts(program, on)
    return MatchRates(
        mentees=sum(m.count for m in mentees),
        matched=sum(m.count for m in mentees if m.matched),
        groups=match_rates_by_group(mentees),
    )


# --- Per program, for the home page --------------------------------------------------------------


def _count(queryset: QuerySet[Any]) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().values("program").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def with_program_figures(
    programs: QuerySet[Program], *, risks: QuerySet[RelationshipRisk] | None = None
) -> QuerySet[Program]:
    """Quiet, at risk and without a mentor, per program, in the programs' own query (at risk
    among the flags in `risks`: what the viewer may know of)."""
    return programs.annotate(
        quiet=_count(
            with_quiet(Relationship.objects.filter(program=OuterRef("pk"))).filter(is_quiet=True)
        ),
        at_risk=_count(
            Relationship.objects.filter(at_risk_condition(risks), program=OuterRef("pk"))
        ),
        without_mentor=_count(unmatched_mentees(OuterRef("pk"))),
    )


# --- Across the institution, for the admin's home ------------------------------------------------


@dataclass(frozen=True)
class InstitutionFigures:
    """Counts across every program the admin oversees (no names, no content)."""

    programs: int
    active_programs: int
    faculty: int
    mentored: int
    at_risk: int
    open_concerns: int

    @property
    def mentored_share(self) -> int | None:
        return rate(self.mentored, self.faculty)


def institution_figures(
    programs: QuerySet[Program],
    *,
    concerns: QuerySet[Any],
    risks: QuerySet[RelationshipRisk],
) -> InstitutionFigures:
    """Programs, faculty on the roster of their institutions, faculty mentored now (in a current
    relationship of any of these programs, as mentee or peer), relationships at risk and open
    concerns — among the flags and concerns the viewer may know of (`access`)."""
    from programs.models import ConcernStatus, FacultyProfile

    institution_ids = programs.values("institution_id")
    faculty = FacultyProfile.objects.filter(institution__in=institution_ids)
    counts = programs.aggregate(total=Count("pk"), active=Count("pk", filter=Q(is_active=True)))
    mentored = faculty.filter(
        Exists(
            RelationshipMember.objects.filter(
                person=OuterRef("pk"),
                relationship__program__in=programs,
                relationship__stage__in=OPEN_STAGES,
                side__in=RECEIVING_SIDES,
                left_at__isnull=True,
            )
        )
    ).count()
    return InstitutionFigures(
        programs=counts["total"],
        active_programs=counts["active"],
        faculty=faculty.count(),
        mentored=mentored,
        at_risk=Relationship.objects.filter(at_risk_condition(risks), program__in=programs).count(),
        open_concerns=concerns.filter(
            relationship__program__in=programs,
            status__in=[ConcernStatus.OPEN, ConcernStatus.ACKNOWLEDGED],
        ).count(),
    )


def attention_first(programs: QuerySet[Program]) -> QuerySet[Program]:
    """Programs annotated by `selectors.programs.programs_needing_attention`, most urgent first:
    open concerns and relationships at risk, then quiet relationships and mentees without a
    mentor, then by name."""
    return programs.annotate(
        urgent=F("open_concerns") + F("at_risk"),
        waiting=F("quiet") + F("without_mentor"),
    ).order_by("-urgent", "-waiting", "name")


# --- Outcomes: promotion and retention -----------------------------------------------------------


def _careers(institution_id: int) -> dict[int, Career]:
    """Every faculty member of the institution with their rank and stream histories and
    departures (withdrawn ones left out): four queries, whatever the number of people."""
    from programs.models import Departure, FacultyProfile, RankChange, StreamChange

    ranks: dict[int, list[tuple[dt.date, int, int]]] = {}
    for person_id, effective_on, rank_id, order in (
        RankChange.objects.filter(person__institution=institution_id)
        .order_by("person_id", "effective_on", "pk")
        .values_list("person_id", "effective_on", "rank_id", "rank__order")
    ):
        ranks.setdefault(person_id, []).append((effective_on, rank_id, order))
    streams: dict[int, list[tuple[dt.date, int]]] = {}
    for person_id, effective_on, stream_id in (
        StreamChange.objects.filter(person__institution=institution_id)
        .order_by("person_id", "effective_on", "pk")
        .values_list("person_id", "effective_on", "stream_id")
    ):
        streams.setdefault(person_id, []).append((effective_on, stream_id))
    departures: dict[int, list[dt.date]] = {}
    for person_id, left_on in Departure.objects.filter(
        person__institution=institution_id, withdrawn_at__isnull=True
    ).values_list("person_id", "left_on"):
        departures.setdefault(person_id, []).append(left_on)
    return {
        pk: Career(
            pk,
            stream_id,
            (rank_id, order) if rank_id is not None else None,
            tuple(ranks.get(pk, ())),
            tuple(departures.get(pk, ())),
            tuple(streams.get(pk, ())),
        )
        for pk, stream_id, rank_id, order in FacultyProfile.objects.filter(
            institution=institution_id
        ).values_list("pk", "stream_id", "rank_id", "rank__order")
    }


def program_outcomes(
    *, program: Program, years: int = DEFAULT_YEARS, today: dt.date | None = None
) -> list[OutcomeRow]:
    """Promotion within `years` and retention, per cohort of the program and for all cohorts,
    for its mentored faculty and for faculty of the same rank and stream never mentored (rules
    in `domain.outcomes`), small cells hidden. Seven queries."""
    from programs.models import Cohort

    today = today or timezone.localdate()
    cohorts = {c.pk: c for c in Cohort.objects.filter(program=program).order_by("starts_on")}
    careers = _careers(program.institution_id)
    ever_mentored = set(
        RelationshipMember.objects.filter(
            side__in=RECEIVING_SIDES, relationship__program__institution=program.institution_id
        )
        .values_list("person_id", flat=True)
        .distinct()
    )
    mentored_here = (
        Membership.objects.filter(program=program, role__in=MENTEE_ROLES)
        .filter(
            Exists(
                RelationshipMember.objects.filter(
                    person=OuterRef("person"),
                    relationship__program=program,
                    side__in=RECEIVING_SIDES,
                )
            )
        )
        .values_list("person_id", "cohort_id")
    )
    by_cohort: dict[int | None, list[int]] = {}
    for person_id, cohort_id in mentored_here:
        if person_id in careers:
            by_cohort.setdefault(cohort_id, []).append(person_id)
    program_start = timezone.localtime(program.created_at).date()
    starts: list[tuple[str, int | None, dt.date]] = [
        (c.name, pk, c.starts_on) for pk, c in cohorts.items() if pk in by_cohort
    ]
    if None in by_cohort:
        starts.append(
            (
                f"No cohort (from the program's start, {program_start:%-d %b %Y})",
                None,
                program_start,
            )
        )
    rows: list[OutcomeRow] = []
    all_mentored: list[Member] = []
    all_comparison: dict[int, Member] = {}
    for label, row_cohort, index_on in starts:
        mentored = [Member(careers[pk], index_on) for pk in by_cohort[row_cohort]]
        comparison = comparison_for(mentored, careers.values(), ever_mentored=ever_mentored)
        rows.append(
            outcome_row(label, mentored, comparison, years=years, today=today, index_on=index_on)
        )
        all_mentored.extend(mentored)
        for m in comparison:  # someone comparable to several cohorts counts once, from the first
            all_comparison.setdefault(m.career.person_id, m)
    if len(rows) > 1:
        rows.append(
            outcome_row(
                "All cohorts",
                all_mentored,
                list(all_comparison.values()),
                years=years,
                today=today,
                index_on=None,
            )
        )
    return rows


# --- Mentor training -----------------------------------------------------------------------------


def training_hours(
    *, program: Program | int, person_ids: Any = None, today: dt.date | None = None
) -> dict[int, Decimal]:
    """Hours of the program's training sessions each person attended (sessions held up to
    today), from the attendance directors recorded: the one count behind the "training required
    before matching" rule, the training page, a mentor's own record and the report. People with
    none are absent from the result."""
    from programs.models import TrainingAttendance

    rows = TrainingAttendance.objects.filter(
        session__program=program, session__held_on__lte=today or timezone.localdate()
    )
    if person_ids is not None:
        rows = rows.filter(person_id__in=person_ids)
    return dict(
        rows.order_by()
        .values("person_id")
        .annotate(hours=Sum("session__hours"))
        .values_list("person_id", "hours")
    )


def meets_training_rule(program: Program, hours: Decimal | None) -> bool:
    required = program.mentor_training_hours_required
    return not required or (hours or Decimal(0)) >= required


@dataclass(frozen=True)
class TrainingFigures:
    mentors: int
    trained: int  # `mentors_trained`: recorded by the program or reported by the mentor
    meeting_rule: int  # mentors with at least the required hours (all of them without a rule)
    hours: Decimal  # hours of the program's sessions attended by its mentors
    required: int | None = None  # the program's training-before-matching rule, in hours

    @property
    def trained_rate(self) -> int | None:
        return rate(self.trained, self.mentors)


def mentor_training_figures(*, program: Program, on: dt.date | None = None) -> TrainingFigures:
    """Mentors trained (`mentors_trained`) and training hours on `on` (today by default), for
    the training page and the report (three queries)."""
    on = on or timezone.localdate()
    mentor_count, trained = mentors_trained(program=program, on=on)
    mentors = list(
        Membership.objects.filter(
            program=program, role__in=("mentor", "both"), joined_at__lte=_day_end(on)
        ).values_list("person_id", flat=True)
    )
    hours = training_hours(program=program, person_ids=mentors, today=on)
    return TrainingFigures(
        mentors=mentor_count,
        trained=trained,
        meeting_rule=sum(1 for pk in mentors if meets_training_rule(program, hours.get(pk))),
        hours=sum((hours.get(pk, Decimal(0)) for pk in mentors), Decimal(0)),
        required=program.mentor_training_hours_required,
    )


# --- Review scores per subscale over time ---------------------------------------------------------

MENTEE_SIDE, MENTOR_SIDE = "Mentees", "Mentors"


@dataclass(frozen=True)
class SubscalePoint:
    """One cycle of reviews: per side, the mean per subscale on 1–5 and how many answered."""

    cycle: int
    opens_on: dt.date
    side: str
    scores: dict[str, Decimal | None]  # None: hidden (too few responses to show)
    responses: int


def _answer_rows(requests: QuerySet[ReviewRequest]) -> list[tuple[Any, ...]]:
    from programs.models import ReviewAnswer

    side = Subquery(
        RelationshipMember.objects.filter(
            relationship=OuterRef("response__request__relationship"),
            person=OuterRef("response__request__respondent"),
        ).values("side")[:1]
    )
    return list(
        ReviewAnswer.objects.filter(response__request__in=requests)
        .annotate(side=side)
        .order_by()
        .values_list(
            "response_id",
            "response__request__cycle",
            "response__request__opens_on",
            "side",
            "item__construct",
            "value",
            "item__polarity",
            "item__instrument__scale_min",
            "item__instrument__scale_max",
        )
    )


def _side_label(side: str | None) -> str:
    return MENTOR_SIDE if side in GUIDING_SIDES else MENTEE_SIDE


def _points(rows: list[tuple[Any, ...]], *, minimum: int) -> tuple[list[SubscalePoint], list[str]]:
    from programs.domain.review_scores import subscale_means

    responses: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        responses.setdefault(row[0], []).append(row)
    groups: dict[tuple[int, str], list[dict[str, Decimal]]] = {}
    opens: dict[int, dt.date] = {}
    subscales: dict[str, None] = {}
    for answers in responses.values():
        _, cycle, opens_on, side, *_ = answers[0]
        scale_min, scale_max = answers[0][7], answers[0][8]
        means = subscale_means(
            ((a[4], a[5], a[6] == "warning") for a in answers),
            scale_min=scale_min,
            scale_max=scale_max,
        )
        for s in means:
            subscales.setdefault(s)
        groups.setdefault((cycle, _side_label(side)), []).append(means)
        opens[cycle] = min(opens.get(cycle, opens_on), opens_on)
    points = []
    for (cycle, side), means_list in sorted(groups.items()):
        shown = len(means_list) >= minimum
        scores: dict[str, Decimal | None] = {}
        for s in subscales:
            values = [m[s] for m in means_list if s in m]
            scores[s] = (
                (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))
                if values and shown
                else None
            )
        points.append(SubscalePoint(cycle, opens[cycle], side, scores, len(means_list)))
    return points, [subscale_label(s) for s in subscales]


def relationship_subscale_trend(
    relationship: Relationship | int, *, requests: QuerySet[ReviewRequest]
) -> tuple[list[SubscalePoint], list[str]]:
    """Each side's subscale scores cycle by cycle for one relationship (both sides, every
    answered review among `requests`, which access hands out). One query."""
    return _points(_answer_rows(requests.filter(relationship=relationship)), minimum=1)


def program_subscale_trend(
    program: Program, *, requests: QuerySet[ReviewRequest]
) -> tuple[list[SubscalePoint], list[str]]:
    """The program's mean subscale scores per review cycle and side; a cycle and side with
    fewer than `SMALL_CELL` responses is counted but its scores are not shown. One query."""
    from programs.domain.small_cells import SMALL_CELL

    return _points(_answer_rows(requests.filter(relationship__program=program)), minimum=SMALL_CELL)


# --- The program report's summary: one selector per figure, for a period -----------------------
# Days are the viewer's (the report runs in its requester's zone): a period is whole local days.


def members_by_role(*, program: Program, on: dt.date) -> dict[str, int]:
    """People in the program on `on`, by role (mentee, mentor, both), directors aside."""
    counts = dict(
        Membership.objects.filter(program=program, joined_at__lte=_day_end(on))
        .exclude(role=Role.DIRECTOR)
        .values("role")
        .annotate(n=Count("pk"))
        .values_list("role", "n")
        .order_by()
    )
    return {role: counts.get(role, 0) for role in ("mentee", "mentor", "both")}


def trained_condition(program: Program | int, on: dt.date) -> Q:
    """For Membership rows: the person has mentor training by `on` — a session of this program
    they attended (recorded by its directors), or training they reported themselves. The one
    definition of "trained" behind the summary, the training page and the report."""
    from programs.models import TrainingAttendance

    return Q(
        Exists(MentorTraining.objects.filter(person=OuterRef("person"), completed_on__lte=on))
    ) | Q(
        Exists(
            TrainingAttendance.objects.filter(
                person=OuterRef("person"), session__program=program, session__held_on__lte=on
            )
        )
    )


def mentors_trained(*, program: Program, on: dt.date) -> tuple[int, int]:
    """(mentors in the program on `on`, of whom with mentor training by then)."""
    row = Membership.objects.filter(
        program=program, role__in=MENTOR_ROLES, joined_at__lte=_day_end(on)
    ).aggregate(n=Count("pk"), done=Count("pk", filter=trained_condition(program, on)))
    return row["n"], row["done"]


@dataclass(frozen=True)
class TimeToMatch:
    matched: int  # mentees whose first relationship started in the period
    median_days: int | None
    longest_days: int | None
    # Every mentee's days, sorted: several programs' medians cannot be merged, their days can.
    days: tuple[int, ...] = field(default=(), compare=False, repr=False)


def time_to_match(*, program: Program, start: dt.date, end: dt.date) -> TimeToMatch:
    """`domain.figures.waiting_from` to the start of the first relationship in which the mentee
    is mentored, for mentees first matched during the period (one query)."""
    first = Subquery(
        RelationshipMember.objects.filter(
            person=OuterRef("person"),
            relationship__program=OuterRef("program"),
            side__in=RECEIVING_SIDES,
        )
        .order_by("relationship__started_on")
        .values("relationship__started_on")[:1],
        output_field=DateField(),
    )
    days = []
    for joined_at, cohort_start, first_on in (
        Membership.objects.filter(program=program, role__in=MENTEE_ROLES)
        .annotate(first_on=first)
        .filter(first_on__gte=start, first_on__lte=end)
        .values_list("joined_at", "cohort__starts_on", "first_on")
    ):
        joined_on = timezone.localtime(joined_at).date()
        days.append(days_waited(waiting_from(joined_on, cohort_start), first_on))
    days.sort()
    return TimeToMatch(
        matched=len(days),
        median_days=round(statistics.median(days)) if days else None,
        longest_days=days[-1] if days else None,
        days=tuple(days),
    )


def with_cadence(relationships: QuerySet[Relationship]) -> QuerySet[Relationship]:
    """`cadence_days`: the latest confirmed agreement's meeting rhythm, else the program's."""
    agreed_cadence = Subquery(
        AgreementVersion.objects.filter(
            agreement__relationship=OuterRef("pk"), confirmed_at__isnull=False
        )
        .order_by("-number")
        .values("cadence_days")[:1],
        output_field=IntegerField(),
    )
    return relationships.annotate(
        cadence_days=Coalesce(
            agreed_cadence, F("program__meeting_cadence_days"), output_field=IntegerField()
        )
    )


@dataclass(frozen=True)
class Cadence:
    relationships: int  # open at some time during the period
    held: int  # meetings and check-ins held during the period
    expected: int  # what their agreed rhythms ask for over the days each was open
    on_cadence: int  # relationships that met at least as often as agreed

    @property
    def held_rate(self) -> int | None:
        return rate(self.held, self.expected)

    @property
    def on_cadence_rate(self) -> int | None:
        return rate(self.on_cadence, self.relationships)


def meetings_against_cadence(*, program: Program, start: dt.date, end: dt.date) -> Cadence:
    """Meetings held during the period against the agreed cadence: each relationship open
    during the period is expected to meet once per cadence over the days it was open in it
    (at least once), and is "on cadence" when it held as many (one query)."""
    now = timezone.now()
    held = Count(
        "meetings",
        filter=Q(
            meetings__status__in=MET_STATUSES,
            meetings__starts_at__gte=_day_start(start),
            meetings__starts_at__lte=min(_day_end(end), now),
        ),
    )
    rows = (
        with_cadence(Relationship.objects.filter(program=program))
        .filter(started_on__lte=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=_day_start(start)))
        .annotate(held=held)
        .values_list("started_on", "ended_at", "cadence_days", "held")
    )
    relationships = total_held = total_expected = on_cadence = 0
    last_day = min(end, timezone.localdate())
    for started_on, ended_at, cadence_days, n in rows:
        until = min(last_day, timezone.localtime(ended_at).date() if ended_at else last_day)
        days = (until - max(start, started_on)).days + 1
        if days <= 0:
            continue
        expected = max(1, days // max(1, cadence_days))
        relationships += 1
        total_held += n
        total_expected += expected
        on_cadence += n >= expected
    return Cadence(relationships, total_held, total_expected, on_cadence)


@dataclass(frozen=True)
class SubscaleScore:
    subscale: str  # the items' construct, e.g. "communication"
    side: str  # "mentee" (answered by the mentored side) or "mentor"
    respondents: int
    mean: float | None  # on 1–5; None when fewer than SMALL_CELL people answered

    @property
    def label(self) -> str:
        return subscale_label(self.subscale)

    @property
    def hidden(self) -> bool:
        return self.mean is None


def review_scores_by_subscale(
    *,
    program: Program | QuerySet[Program],
    start: dt.date,
    end: dt.date,
    review_requests: QuerySet[ReviewRequest] | None = None,
) -> list[SubscaleScore]:
    """Mean answer per subscale (the items' construct) and side, for reviews answered during
    the period, warning signs reversed and placed on 1–5 as in `domain.review_scores`; a
    subscale answered by fewer than SMALL_CELL people is hidden (one query). `program` may be
    several programs (the all-programs report): people are then counted across them."""
    programs = program if isinstance(program, QuerySet) else [program]
    answers = ReviewAnswer.objects.filter(
        value__isnull=False,
        response__submitted_at__gte=_day_start(start),
        response__submitted_at__lte=_day_end(end),
        response__request__relationship__program__in=programs,
    )
    if review_requests is not None:
        answers = answers.filter(response__request__in=review_requests)
    low, high = F("item__instrument__scale_min"), F("item__instrument__scale_max")
    value = Cast("value", FloatField())
    oriented = Case(
        When(item__polarity=ItemPolarity.WARNING, then=Cast(low + high, FloatField()) - value),
        default=value,
        output_field=FloatField(),
    )
    five = ExpressionWrapper(
        Value(1.0)
        + (oriented - Cast(low, FloatField())) * Value(4.0) / Cast(high - low, FloatField()),
        output_field=FloatField(),
    )
    receiving = Exists(
        RelationshipMember.objects.filter(
            relationship=OuterRef("response__request__relationship"),
            person=OuterRef("response__request__respondent"),
            side__in=RECEIVING_SIDES,
        )
    )
    rows = (
        answers.annotate(is_mentee=receiving, five=five)
        .values("item__construct", "is_mentee")
        .annotate(mean=Avg("five"), people=Count("response__request__respondent", distinct=True))
        .values_list("item__construct", "is_mentee", "mean", "people")
        .order_by("item__construct", "-is_mentee")
    )
    return [
        SubscaleScore(
            subscale=construct,
            side="mentee" if is_mentee else "mentor",
            respondents=people,
            mean=round(mean, 1) if people >= SMALL_CELL and mean is not None else None,
        )
        for construct, is_mentee, mean, people in rows
    ]


def endings_by_category(*, program: Program, start: dt.date, end: dt.date) -> dict[str, int]:
    """Relationships that closed during the period, by outcome category (concluded, ended early,
    reassigned) — counts only: why one ended is confidential."""
    counts = dict(
        Relationship.objects.filter(
            program=program,
            ended_at__gte=_day_start(start),
            ended_at__lte=_day_end(end),
        )
        .values("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
        .order_by()
    )
    return {value: counts.get(value, 0) for value in RelationshipOutcome.values}


def at_risk_now(*, program: Program, risks: QuerySet[RelationshipRisk] | None = None) -> int:
    """Current relationships with an uncleared risk flag (among what the viewer may know of)."""
    return Relationship.objects.filter(at_risk_condition(risks), program=program).count()
