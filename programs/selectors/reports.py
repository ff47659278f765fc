"""The rows behind a program report, fetched with a fixed number of queries (nine) as plain
tuples — never model instances — so that a program of thousands stays light in memory.

Only what reports may contain is read: no note, reflection, concern, ended reason or review
comment is ever selected here."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Count, Exists, Max, OuterRef, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from programs.domain.dates import add_months
from programs.domain.outcomes import DEFAULT_YEARS
from programs.exports.reports import (
    InstitutionReportData,
    Person,
    ProgramFigures,
    RelationshipRow,
    ReportData,
    ReportFigures,
    ReviewRow,
)
from programs.models import (
    GUIDING_SIDES,
    MET_STATUSES,
    RECEIVING_SIDES,
    AssessmentStatus,
    Gender,
    Goal,
    Institution,
    Meeting,
    Membership,
    MembershipStatus,
    MentorTraining,
    Program,
    Relationship,
    RelationshipMember,
    RelationshipRisk,
    ReviewRequest,
    ReviewResponse,
    Role,
    SelfAssessment,
)
from programs.selectors.figures import (
    at_risk_now,
    endings_by_category,
    match_rates,
    meetings_against_cadence,
    members_by_role,
    mentee_facts,
    mentor_training_figures,
    mentors_trained,
    program_outcomes,
    review_scores_by_subscale,
    time_to_match,
    with_at_risk,
    with_quiet,
)
from programs.selectors.training import training_sessions

GENDER_LABELS = dict(Gender.choices)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end, dt.time.max, tzinfo=tz),
    )


def _local_date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(value).date() if value else None


def report_data(
    *,
    program: Program,
    start: dt.date,
    end: dt.date,
    risks: QuerySet[RelationshipRisk],
    review_requests: QuerySet[ReviewRequest],
    outcome_years: int = DEFAULT_YEARS,
) -> ReportData:
    since, until = _bounds(start, end)
    people = [
        Person(
            id=pid,
            name=f"{given} {family}".strip() or "(no name)",
            role=role,
            joined_on=timezone.localtime(joined).date(),
            cohort=cohort or "",
            cohort_start=cohort_start,
            department=department or "",
            rank=rank or "",
            stream=stream or "",
            gender=GENDER_LABELS.get(gender, "") if gender else "",
            capacity=capacity,
            active=status == MembershipStatus.ACTIVE,
        )
        for (
            pid,
            given,
            family,
            role,
            joined,
            cohort,
            cohort_start,
            department,
            rank,
            stream,
            gender,
            capacity,
            status,
        ) in Membership.objects.filter(program=program)
        .exclude(role=Role.DIRECTOR)
        .values_list(
            "person_id",
            "person__given_name",
            "person__family_name",
            "role",
            "joined_at",
            "cohort__name",
            "cohort__starts_on",
            "person__department__name",
            "person__rank__name",
            "person__stream__name",
            "person__gender",
            "mentor_capacity",
            "status",
        )
        .iterator(chunk_size=2000)
    ]
    members: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    names: dict[int, str] = {}
    for rid, pid, side, given, family in (
        RelationshipMember.objects.filter(relationship__program=program, left_at__isnull=True)
        .values_list(
            "relationship_id", "person_id", "side", "person__given_name", "person__family_name"
        )
        .iterator(chunk_size=2000)
    ):
        names[pid] = f"{given} {family}".strip()
        members[rid][1 if side in GUIDING_SIDES else 0].append(pid)
    relationships = [
        RelationshipRow(
            id=rid,
            kind=kind,
            stage=stage,
            started_on=started_on,
            ended_on=_local_date(ended_at),
            mentees=tuple(members[rid][0]),
            guides=tuple(members[rid][1]),
            at_risk=at_risk,
            quiet=quiet,
        )
        for rid, kind, stage, started_on, ended_at, at_risk, quiet in with_at_risk(
            with_quiet(Relationship.objects.filter(program=program)), risks=risks
        )
        .values_list("pk", "kind", "stage", "started_on", "ended_at", "at_risk", "is_quiet")
        .iterator(chunk_size=2000)
    ]
    meetings: dict[int, Counter[str]] = defaultdict(Counter)
    last_met: dict[int, dt.date] = {}
    for rid, mode, n, last in (
        Meeting.objects.filter(
            relationship__program=program,
            status__in=MET_STATUSES,
            starts_at__gte=since,
            starts_at__lte=min(until, timezone.now()),
        )
        .values("relationship_id", "mode")
        .annotate(n=Count("pk"), last=Max("starts_at"))
        .values_list("relationship_id", "mode", "n", "last")
        .order_by()
    ):
        meetings[rid][mode] += n
        day = _local_date(last)
        if day and (rid not in last_met or day > last_met[rid]):
            last_met[rid] = day
    receiving = RelationshipMember.objects.filter(
        relationship=OuterRef("request__relationship"),
        person=OuterRef("request__respondent"),
        side__in=RECEIVING_SIDES,
    )
    reviews = [
        ReviewRow(
            relationship_id=rid,
            respondent_id=pid,
            side="mentee" if is_mentee else "mentor",
            score=float(score) if score is not None else None,
            choice=choice,
        )
        for rid, pid, score, choice, is_mentee in ReviewResponse.objects.filter(
            request__in=review_requests,
            request__relationship__program=program,
            submitted_at__gte=since,
            submitted_at__lte=until,
        )
        .annotate(is_mentee=Exists(receiving))
        .values_list(
            "request__relationship_id", "request__respondent_id", "score", "choice", "is_mentee"
        )
        .iterator(chunk_size=2000)
    ]
    requests: dict[int, tuple[int, int]] = {}
    for pid, n, done in (
        review_requests.filter(
            relationship__program=program, opens_on__gte=start, opens_on__lte=end
        )
        .values("respondent_id")
        .annotate(n=Count("pk"), done=Count("completed_at"))
        .values_list("respondent_id", "n", "done")
        .order_by()
    ):
        requests[pid] = (n, done)
    newer = SelfAssessment.objects.filter(
        person=OuterRef("assessment__person"),
        status=AssessmentStatus.SUBMITTED,
        version__gt=OuterRef("assessment__version"),
    )
    goal_statuses: dict[int, Counter[str]] = defaultdict(Counter)
    for pid, status, n in (
        Goal.objects.filter(
            assessment__status=AssessmentStatus.SUBMITTED,
            assessment__person__in=Membership.objects.filter(program=program).values("person"),
        )
        .exclude(Exists(newer))
        .values("assessment__person_id", "status")
        .annotate(n=Count("pk"))
        .values_list("assessment__person_id", "status", "n")
        .order_by()
    ):
        goal_statuses[pid][status] += n
    trainings = dict(
        MentorTraining.objects.filter(
            person__in=Membership.objects.filter(program=program).values("person"),
            completed_on__lte=end,
        )
        .values("person_id")
        .annotate(n=Count("pk"))
        .values_list("person_id", "n")
        .order_by()
    )
    return ReportData(
        institution=Institution.objects.filter(pk=program.institution_id)
        .values_list("name", flat=True)
        .first()
        or "",
        generated_at=timezone.localtime(),
        meetings_by_month=meetings_by_month(program=program, start=start, end=end),
        figures=report_figures(
            program=program, start=start, end=end, risks=risks, review_requests=review_requests
        ),
        program=program.name,
        start=start,
        end=end,
        people=people,
        relationships=relationships,
        names=names,
        meetings=dict(meetings),
        last_met=last_met,
        reviews=reviews,
        review_requests=requests,
        goal_statuses=dict(goal_statuses),
        trainings=trainings,
        training=mentor_training_figures(program=program, on=end),
        training_sessions=[
            (held_on, title, curriculum, float(hours), attended)
            for held_on, title, curriculum, hours, attended in training_sessions(program=program)
            .filter(held_on__gte=start, held_on__lte=end)
            .values_list("held_on", "title", "curriculum", "hours", "attendance_count")
        ],
        # Followed up to the end of the period (or today, if that is earlier).
        outcomes=program_outcomes(
            program=program, years=outcome_years, today=min(end, timezone.localdate())
        ),
        outcome_years=outcome_years,
        as_of=timezone.localdate(),
    )


def report_figures(
    *,
    program: Program,
    start: dt.date,
    end: dt.date,
    risks: QuerySet[RelationshipRisk],
    review_requests: QuerySet[ReviewRequest],
) -> ReportFigures:
    """The summary's figures, each from its selector (eight queries)."""
    return ReportFigures(
        members=members_by_role(program=program, on=end),
        match=match_rates(program=program, on=end),
        time_to_match=time_to_match(program=program, start=start, end=end),
        cadence=meetings_against_cadence(program=program, start=start, end=end),
        subscales=review_scores_by_subscale(
            program=program, start=start, end=end, review_requests=review_requests
        ),
        endings=endings_by_category(program=program, start=start, end=end),
        at_risk=at_risk_now(program=program, risks=risks),
        mentors_trained=mentors_trained(program=program, on=end),
    )


def institution_report_data(
    *,
    institution: Institution,
    start: dt.date,
    end: dt.date,
    risks: QuerySet[RelationshipRisk],
    review_requests: QuerySet[ReviewRequest],
) -> InstitutionReportData:
    """Every program of the institution, each with its own report's summary figures (ten
    queries a program), and the review scores across them (one query)."""
    programs = Program.objects.filter(institution=institution).order_by("name")
    return InstitutionReportData(
        institution=institution.name,
        start=start,
        end=end,
        programs=[
            ProgramFigures(
                name=program.name,
                active=program.is_active,
                figures=report_figures(
                    program=program,
                    start=start,
                    end=end,
                    risks=risks,
                    review_requests=review_requests,
                ),
                mentees=mentee_facts(program, end),
                meetings_by_month=meetings_by_month(program=program, start=start, end=end),
            )
            for program in programs
        ],
        subscales=review_scores_by_subscale(
            program=programs, start=start, end=end, review_requests=review_requests
        ),
        generated_at=timezone.localtime(),
        as_of=timezone.localdate(),
    )


def meetings_by_month(*, program: Program, start: dt.date, end: dt.date) -> list[tuple[str, int]]:
    """Meetings and check-ins held in each calendar month of the period (local months)."""
    since, until = _bounds(start, end)
    counts: dict[dt.date, int] = {}
    for month, n in (
        Meeting.objects.filter(
            relationship__program=program,
            status__in=MET_STATUSES,
            starts_at__gte=since,
            starts_at__lte=min(until, timezone.now()),
        )
        .annotate(month=TruncMonth("starts_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
        .order_by()
    ):
        day = month.date() if isinstance(month, dt.datetime) else month
        counts[day.replace(day=1)] = counts.get(day.replace(day=1), 0) + n
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return [(f"{m:%b %Y}", counts.get(m, 0)) for m in months]
