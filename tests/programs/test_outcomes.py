"""Rank history and departures (from the roster import and profile changes), the outcomes
selector (promotion within N years and retention, mentored vs not) and its page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.domain.outcomes import COMPARISON, MENTORED
from programs.domain.roster import read_roster
from programs.models import AcademicRank, AcademicStream, Department, Departure, RankChange
from programs.selectors.figures import program_outcomes
from programs.services.people import profile_update
from programs.services.roster import roster_apply, roster_import_create, roster_plan
from tests.factories import CohortFactory, MembershipFactory, person
from tests.relationship_fixtures import make_relationship, program_mentor

pytestmark = pytest.mark.django_db

D = dt.date


def _ranks():
    return list(AcademicRank.objects.order_by("order"))


# --- Recording careers -----------------------------------------------------------------------


def test_a_profile_rank_change_is_kept_with_todays_date(mentee):
    profile = mentee.profile
    junior, senior = _ranks()[0], _ranks()[1]
    profile_update(profile=profile, data={"rank": senior}, by=mentee)
    change = RankChange.objects.get(person=profile)
    assert (change.rank, change.source) == (senior, "profile")
    profile_update(profile=profile, data={"rank": senior}, by=mentee)  # unchanged: no new row
    assert RankChange.objects.filter(person=profile).count() == 1
    assert junior != senior


HEADER = "email,given name,family name,department,rank,stream,rank since,left on\n"


def _roster(admin, *rows):
    Department.objects.get_or_create(institution=admin.profile.institution, name="Medicine")
    data = (HEADER + "".join(r + "\n" for r in rows)).encode()
    parsed = read_roster(data)
    return parsed, roster_import_create(
        parsed=parsed,
        file_name="r.csv",
        file_sha256="x",
        program=None,
        by=admin,
        scope="institution",
    )


def test_the_roster_keeps_rank_since_dates_and_departures(admin):
    rank, stream = _ranks()[1].name, AcademicStream.objects.first().name
    _, roster = _roster(
        admin, f"ana@northbridge.test,Ana,Silva,Medicine,{rank},{stream},2021-07-01,"
    )
    roster_apply(roster=roster, by=admin)
    change = RankChange.objects.get(person__user__email="ana@northbridge.test")
    assert (change.effective_on, change.source) == (D(2021, 7, 1), "roster")
    _, again = _roster(
        admin, f"ana@northbridge.test,Ana,Silva,Medicine,{rank},{stream},2021-07-01,2024-06-30"
    )
    roster_apply(roster=again, by=admin)
    assert RankChange.objects.filter(person__user__email="ana@northbridge.test").count() == 1
    assert Departure.objects.get(person__user__email="ana@northbridge.test").left_on == D(
        2024, 6, 30
    )


def test_the_roster_refuses_bad_career_dates_per_row(admin):
    rank, stream = _ranks()[1].name, AcademicStream.objects.first().name
    parsed, _ = _roster(
        admin,
        f"a@northbridge.test,Ana,Silva,Medicine,{rank},{stream},1st of July,",
        f"b@northbridge.test,Bo,Silva,Medicine,{rank},{stream},,2999-01-01",
    )
    plan = roster_plan(
        rows=parsed.rows,
        columns=parsed.columns,
        program=None,
        institution=admin.profile.institution,
        by=admin,
    )
    assert "YYYY-MM-DD" in plan.rows[0].errors["rank_since"][0]
    assert "not a plausible date" in plan.rows[1].errors["left_on"][0]


# --- The selector --------------------------------------------------------------------------------


def _faculty(n, *, rank, stream, prefix):
    return [person(f"{prefix}{i}@northbridge.test", rank=rank, stream=stream) for i in range(n)]


@pytest.fixture
def cohort_world(program, director):
    """A 2019 cohort of 6 mentored mentees (4 promoted in 2021, 1 left in 2020) and 7
    comparable faculty never mentored (1 promoted, 2 left), plus people of another stream."""
    junior, senior = _ranks()[0], _ranks()[1]
    stream, other_stream = list(AcademicStream.objects.order_by("order"))[:2]
    cohort = CohortFactory(program=program, starts_on=D(2019, 7, 1), ends_on=D(2020, 6, 30))
    mentor = program_mentor(program, capacity=10)
    mentored = _faculty(6, rank=junior, stream=stream, prefix="m")
    for i, p in enumerate(mentored):
        MembershipFactory(program=program, person=p, role="mentee", cohort=cohort)
        make_relationship(program=program, mentees=[p], mentors=[mentor], by=director)
        RankChange.objects.create(
            person=p, rank=junior, effective_on=D(2015, 1, 1), source="roster"
        )
        if i < 4:
            RankChange.objects.create(
                person=p, rank=senior, effective_on=D(2021, 1, 1), source="roster"
            )
    Departure.objects.create(person=mentored[5], left_on=D(2020, 3, 1), source="roster")
    comparable = _faculty(7, rank=junior, stream=stream, prefix="c")
    RankChange.objects.create(
        person=comparable[0], rank=junior, effective_on=D(2016, 1, 1), source="roster"
    )
    RankChange.objects.create(
        person=comparable[0], rank=senior, effective_on=D(2020, 9, 1), source="roster"
    )
    for p in comparable[1:3]:
        Departure.objects.create(person=p, left_on=D(2021, 2, 1), source="roster")
    _faculty(3, rank=junior, stream=other_stream, prefix="x")
    return cohort


def test_outcomes_compare_mentored_with_comparable_faculty(cohort_world):
    rows = program_outcomes(program=cohort_world.program, years=3, today=D(2024, 1, 1))
    assert [r.label for r in rows] == [cohort_world.name]
    mentored, comparison = rows[0].groups
    assert (mentored.group, mentored.followed, mentored.promoted, mentored.retained) == (
        MENTORED,
        6,
        4,
        5,
    )
    # The mentor and the director were never mentored and hold the same rank and stream (the
    # factory's), so they are comparable faculty too; the other stream's people are not.
    assert comparison.group == COMPARISON
    assert comparison.promoted == 1
    assert comparison.followed - comparison.retained == 2
    assert mentored.promotion_ci is not None


def test_outcomes_wait_for_the_follow_up_window(cohort_world):
    rows = program_outcomes(program=cohort_world.program, years=5, today=D(2024, 1, 1))
    assert rows[0].groups[0].followed == 0
    assert rows[0].groups[0].in_follow_up == 6


def test_outcomes_hide_small_groups(cohort_world):
    from programs.models import Membership

    Membership.objects.filter(
        program=cohort_world.program,
        person__user__email__in=["m0@northbridge.test", "m1@northbridge.test"],
    ).delete()
    rows = program_outcomes(program=cohort_world.program, years=3, today=D(2024, 1, 1))
    assert all(g.hidden for g in rows[0].groups)
    assert rows[0].groups[0].promotion_rate is None


# --- The page ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("director", 200),
        ("admin", 200),
        ("other_director", 404),
        ("mentee", 404),
        ("mentor", 404),
        ("outsider", 404),
    ],
)
def test_only_directors_of_the_program_and_admins_see_outcomes(
    cast, program, who, status, client_for
):
    response = client_for(cast[who]).get(reverse("program_outcomes", args=[program.pk]))
    assert response.status_code == status


def test_the_page_says_it_is_descriptive_and_shows_the_figures(cohort_world, director, client_for):
    text = (
        client_for(director)
        .get(reverse("program_outcomes", args=[cohort_world.program.pk]) + "?years=3")
        .content.decode()
    )
    assert "Descriptive, not causal" in text
    assert cohort_world.name in text
    assert "95% CI" in text


def test_the_page_uses_a_fixed_number_of_queries(cohort_world, director, client_for):
    client = client_for(director)
    url = reverse("program_outcomes", args=[cohort_world.program.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _faculty(20, rank=_ranks()[0], stream=AcademicStream.objects.first(), prefix="more")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# --- The program report --------------------------------------------------------------------------


def _report(program, year, **window):
    """The program's report for `year`, built on the first day of the next."""
    import time_machine

    from programs.exports.reports import build_report
    from programs.models import RelationshipRisk, ReviewRequest
    from programs.selectors.reports import report_data

    with time_machine.travel(dt.datetime(year + 1, 1, 1, 12, tzinfo=dt.UTC)):
        data = report_data(
            program=program,
            start=D(year, 1, 1),
            end=D(year, 12, 31),
            risks=RelationshipRisk.objects.all(),
            review_requests=ReviewRequest.objects.all(),
            **window,
        )
    return build_report(data)


def test_the_report_has_outcomes_and_training_sections(cohort_world, director):
    report = _report(cohort_world.program, 2023)
    titles = [s.title for s in report.sections]
    assert "Mentor training" in titles
    outcomes = next(s for s in report.sections if s.title.startswith("Outcomes"))
    assert "Descriptive, not causal" in outcomes.intro
    promoted = list(outcomes.tables[0].rows)
    assert promoted[0][:4] == [cohort_world.name, "Mentored", 6, 4]
    assert [c.title for c in outcomes.charts] == [
        "Promoted within 3 years (%)",
        "Retained 3 years (%)",
    ]


def test_the_report_follows_the_window_the_director_chose(cohort_world, director):
    report = _report(cohort_world.program, 2024, outcome_years=5)
    outcomes = next(s for s in report.sections if s.title.startswith("Outcomes"))
    assert [c.title for c in outcomes.charts] == [
        "Promoted within 5 years (%)",
        "Retained 5 years (%)",
    ]
    mentored = next(iter(outcomes.tables[0].rows))
    assert mentored[:4] == [cohort_world.name, "Mentored", 6, 4]


def test_the_reports_page_and_its_export_carry_the_window(cohort_world, director, client_for):
    from programs.models import ReportExport

    client = client_for(director)
    url = reverse("program_reports", args=[cohort_world.program.pk])
    text = client.get(url + "?years=5").content.decode()
    assert "Promoted within 5 years" in text
    assert 'name="years" value="5"' in text
    first_of_year = timezone.localdate().replace(month=1, day=1)
    assert f'type="date" name="start" value="{first_of_year:%Y-%m-%d}"' in text
    client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery"})
    response = client.post(
        reverse("report_export", args=[cohort_world.program.pk]),
        {"start": "2024-01-01", "end": "2024-12-31", "format": "pdf", "years": "5"},
    )
    assert response.status_code == 302
    assert ReportExport.objects.get().outcome_years == 5


def test_the_report_refuses_a_window_outside_the_choices(cohort_world, director):
    from django.core.exceptions import ValidationError

    from programs.services.reports import report_export_start

    with pytest.raises(ValidationError) as refused:
        report_export_start(
            program=cohort_world.program,
            start=D(2024, 1, 1),
            end=D(2024, 12, 31),
            format="pdf",
            outcome_years=40,
            by=director,
        )
    assert "years" in refused.value.message_dict


def test_the_outcomes_page_links_to_the_report_with_its_window(cohort_world, director, client_for):
    url = reverse("program_outcomes", args=[cohort_world.program.pk])
    text = client_for(director).get(url + "?years=2").content.decode()
    assert reverse("program_reports", args=[cohort_world.program.pk]) + "?years=2" in text


# --- Departures recorded by people, and streams over time ----------------------------------------


def test_a_withdrawn_departure_counts_as_retained(cohort_world, director):
    from programs.services.careers import departure_withdraw

    left = Departure.objects.get(person__user__email="m5@northbridge.test")
    departure_withdraw(departure=left, by=director)
    rows = program_outcomes(program=cohort_world.program, years=3, today=D(2024, 1, 1))
    assert rows[0].groups[0].retained == 6


def test_a_departure_a_director_records_counts_against_retention(cohort_world, director):
    import time_machine

    from programs.services.careers import departure_save

    someone = Departure.objects.get(person__user__email="m5@northbridge.test").person
    other = type(someone).objects.get(user__email="m4@northbridge.test")
    with time_machine.travel(dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)):
        departure_save(person=other, left_on=D(2021, 9, 30), reason="retired", by=director)
    rows = program_outcomes(program=cohort_world.program, years=3, today=D(2024, 1, 1))
    assert rows[0].groups[0].retained == 4


def test_the_comparison_uses_the_stream_held_at_the_cohorts_start(cohort_world):
    """Three people of another stream today were in the mentored group's stream in 2019: they
    are comparable; and a comparable person who was in another stream then is not."""
    from programs.models import FacultyProfile, StreamChange

    stream, other_stream = list(AcademicStream.objects.order_by("order"))[:2]
    before = program_outcomes(program=cohort_world.program, years=3, today=D(2024, 1, 1))
    for p in FacultyProfile.objects.filter(user__email__startswith="x"):
        StreamChange.objects.create(person=p, stream=stream, effective_on=D(2018, 1, 1))
        StreamChange.objects.create(person=p, stream=other_stream, effective_on=D(2022, 1, 1))
    moved_in = FacultyProfile.objects.get(user__email="c6@northbridge.test")
    StreamChange.objects.create(person=moved_in, stream=other_stream, effective_on=D(2017, 1, 1))
    StreamChange.objects.create(person=moved_in, stream=stream, effective_on=D(2023, 1, 1))
    after = program_outcomes(program=cohort_world.program, years=3, today=D(2024, 1, 1))
    assert after[0].groups[1].followed == before[0].groups[1].followed + 3 - 1


def test_the_roster_keeps_stream_changes(admin):
    from programs.models import StreamChange

    rank = _ranks()[1].name
    first, second = list(AcademicStream.objects.order_by("order"))[:2]
    _, roster = _roster(admin, f"ana@northbridge.test,Ana,Silva,Medicine,{rank},{first.name},,")
    roster_apply(roster=roster, by=admin)
    _, again = _roster(admin, f"ana@northbridge.test,Ana,Silva,Medicine,{rank},{second.name},,")
    roster_apply(roster=again, by=admin)
    _, same = _roster(admin, f"ana@northbridge.test,Ana,Silva,Medicine,{rank},{second.name},,")
    roster_apply(roster=same, by=admin)
    history = StreamChange.objects.filter(person__user__email="ana@northbridge.test")
    assert [(c.stream, c.source) for c in history.order_by("pk")] == [
        (first, "roster"),
        (second, "roster"),
    ]


def test_the_roster_check_makes_no_query_per_row_for_career_dates(admin):
    """The rank-since and left-on columns are compared with what is kept in one query each,
    whatever the number of rows."""
    rank, stream = _ranks()[1].name, AcademicStream.objects.first().name

    def rows(n):
        return [
            f"p{i}@northbridge.test,P{i},Silva,Medicine,{rank},{stream},2021-07-01,2024-06-30"
            for i in range(n)
        ]

    _, roster = _roster(admin, *rows(30))
    roster_apply(roster=roster, by=admin)

    def check(n):
        parsed, _ = _roster(admin, *[r.replace("2024-06-30", "2024-07-31") for r in rows(n)])
        with CaptureQueriesContext(connection) as queries:
            plan = roster_plan(
                rows=parsed.rows,
                columns=parsed.columns,
                program=None,
                institution=admin.profile.institution,
                by=admin,
            )
        assert all("left_on" in p.changes and "rank_since" not in p.changes for p in plan.rows)
        return len(queries)

    assert check(3) == check(30)
