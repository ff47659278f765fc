"""One definition per figure: quiet, at risk, mentor load, match rate, waiting, the latest review
score per party and unmatched read the same on the home page, the dashboard, the relationships
table, the fairness view, the quiet-pair email and the report — and follow the program's
settings (cadence, grace) everywhere."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.access import review_requests_for_director, risks_for_director
from programs.exports.reports import build_report, text_of
from programs.models import Membership, MembershipStatus, Relationship
from programs.selectors.reports import report_data
from programs.services.relationships import relationship_end
from tests.oversight_fixtures import answered_review
from tests.relationship_fixtures import (
    make_relationship,
    past_meeting,
    program_mentee,
    program_mentor,
)

pytestmark = pytest.mark.django_db


def _pair(program, director, *, days_old: int = 200, capacity: int = 3, mentor=None):
    mentee = program_mentee(program)
    mentor = mentor or program_mentor(program, capacity=capacity)
    relationship = make_relationship(
        program=program,
        mentees=[mentee],
        mentors=[mentor],
        by=director,
        started_on=timezone.localdate() - timedelta(days=days_old),
    )
    return relationship, mentee, mentor


def _home_card(client, program):
    return next(p for p in client.get(reverse("home")).context["directed_programs"] if p == program)


def _quiet_everywhere(client, program) -> dict[str, int]:
    dashboard = client.get(reverse("program_dashboard", args=[program.pk]) + "?refresh=1")
    table = client.get(reverse("program_relationships", args=[program.pk]) + "?quiet=1")
    return {
        "home": _home_card(client, program).quiet,
        "dashboard": dashboard.context["d"].quiet_total,
        "table": table.context["page"].paginator.count,
    }


# --- Quiet -------------------------------------------------------------------------------------


def test_quiet_is_the_same_on_home_dashboard_and_table(program, director, client_for):
    program.meeting_cadence_days, program.checkin_grace_days = 30, 14
    program.save()
    _silent, *_ = _pair(program, director)  # never met in 200 days: two cycles missed
    once, *_ = _pair(program, director)
    past_meeting(once, days_ago=50)  # one cycle (30 + 14 days) missed, not two
    recent, *_ = _pair(program, director)
    past_meeting(recent, days_ago=5)
    counts = _quiet_everywhere(client_for(director), program)
    assert counts == {"home": 1, "dashboard": 1, "table": 1}


def test_changing_the_cadence_or_the_grace_changes_quiet_on_every_surface(
    program, director, client_for
):
    program.meeting_cadence_days, program.checkin_grace_days = 30, 14
    program.save()
    pair, *_ = _pair(program, director)
    past_meeting(pair, days_ago=80)  # 2 × 30 + 14 = 74 days: quiet
    client = client_for(director)
    assert set(_quiet_everywhere(client, program).values()) == {1}
    program.meeting_cadence_days = 42  # 2 × 42 + 14 = 98 days: not yet
    program.save()
    assert set(_quiet_everywhere(client, program).values()) == {0}
    program.checkin_grace_days = 0  # 2 × 42 = 84 days: still not
    program.save()
    assert set(_quiet_everywhere(client, program).values()) == {0}
    program.meeting_cadence_days = 30
    program.save()
    assert set(_quiet_everywhere(client, program).values()) == {1}


def test_the_quiet_email_lists_only_pairs_quiet_by_the_same_definition(program, director):
    from mentorship.notifications.kinds import Kind
    from mentorship.notifications.models import Notification
    from programs.notices import quiet_relationships

    program.meeting_cadence_days, program.checkin_grace_days = 30, 14
    program.save()
    pair, *_ = _pair(program, director)
    today = timezone.now().date()
    Relationship.objects.filter(pk=pair.pk).update(quiet_since=today)
    n = Notification(
        recipient=director,
        kind=Kind.QUIET_RELATIONSHIP,
        subject=f"program:{program.pk}",
        cycle=f"quiet:{today.isoformat()}",
    )
    assert quiet_relationships(n)["count"] == 1
    program.meeting_cadence_days = 182  # a new rhythm: 2 × 182 + 14 days, not yet quiet
    program.save()
    assert quiet_relationships(n) is None
    program.meeting_cadence_days = 30
    program.save()
    assert quiet_relationships(n)["count"] == 1
    past_meeting(pair, days_ago=3)  # met since: no longer quiet, whatever the stored flag says
    assert quiet_relationships(n) is None


# --- At risk, unmatched, mentor load -------------------------------------------------------------


def test_a_paused_mentee_is_not_counted_as_waiting_anywhere(program, director, client_for):
    waiting = program_mentee(program)
    paused = program_mentee(program)
    Membership.objects.filter(person=paused.profile, program=program).update(
        status=MembershipStatus.PAUSED
    )
    client = client_for(director)
    d = client.get(reverse("program_dashboard", args=[program.pk])).context["d"]
    assert _home_card(client, program).without_mentor == 1
    assert d.unmatched_total == 1
    assert [w.membership.person.user for w in d.waiting] == [waiting]


def test_mentor_load_is_the_true_load_on_the_dashboard_and_the_assign_page(
    program, director, client_for
):
    _pair_one, _, mentor = _pair(program, director, capacity=1)
    Membership.objects.filter(person=mentor.profile, program=program).update(mentor_capacity=2)
    _pair(program, director, mentor=mentor)
    Membership.objects.filter(person=mentor.profile, program=program).update(mentor_capacity=1)
    newcomer = program_mentee(program)
    client = client_for(director)
    d = client.get(reverse("program_dashboard", args=[program.pk]) + "?refresh=1").context["d"]
    assert [(m.load, m.mentor_capacity) for m in d.mentors_full] == [(2, 1)]
    rows = client.get(
        reverse("matching:assign", args=[program.pk]) + f"?mentee={newcomer.profile.pk}"
    ).context["rows"]
    option = next(r["o"] for r in rows if r["o"].mentor.pk == mentor.profile.pk)
    assert option.load.startswith("2 of 1")


# --- Match rate ------------------------------------------------------------------------------------


def test_the_match_rate_is_the_same_on_the_dashboard_fairness_view_and_report(
    program, director, client_for
):
    pairs = [_pair(program, director)[0] for _ in range(6)]
    relationship_end(relationship=pairs[0], by=director, reason_for_directors="Moved away")
    for _ in range(2):
        program_mentee(program)
    client = client_for(director)
    d = client.get(reverse("program_dashboard", args=[program.pk])).context["d"]
    fairness = client.get(reverse("matching:fairness", args=[program.pk])).context["summary"]
    today = timezone.localdate()
    report = build_report(
        report_data(
            program=program,
            start=dt.date(today.year, 1, 1),
            end=today,
            risks=risks_for_director(director),
            review_requests=review_requests_for_director(director),
        )
    )
    match_table = next(
        t for s in report.sections for t in s.tables if t.title.startswith("Match rate")
    )
    assert d.match_rate == 62  # 5 of 8 have a mentor now
    assert (fairness.people, fairness.matched, fairness.rate) == (8, 5, 62)
    assert [text_of(v) for v in next(iter(match_table.rows))] == ["8", "5", "62%"]
    assert report.summary is not None
    summary = {f.label: f for f in report.summary.figures}
    assert text_of(summary["Match rate"].value) == "62%"


def test_a_missing_gender_has_one_label(program, director, client_for):
    for _ in range(5):
        program_mentee(program)
    client = client_for(director)
    fairness = client.get(reverse("matching:fairness", args=[program.pk])).content.decode()
    dashboard = client.get(reverse("program_dashboard", args=[program.pk])).content.decode()
    assert "Not stated" in fairness
    assert "Not stated" in dashboard
    assert "Not given" not in fairness


def test_the_fairness_view_hides_the_complement_of_a_small_group(program, director, client_for):
    from programs.models import AcademicRank

    junior, senior = AcademicRank.objects.order_by("order")[:2]
    for i in range(9):
        mentee = program_mentee(program)
        mentee.profile.rank = junior if i < 6 else senior
        mentee.profile.save()
    tables = (
        client_for(director).get(reverse("matching:fairness", args=[program.pk])).context["tables"]
    )
    rank = next(t for t in tables if t.dimension == "Academic rank")
    assert all(row.people is None for row in rank.rows)  # 6 − 9 would give the 3 away


# --- The latest review, per party ------------------------------------------------------------------


def test_the_table_shows_each_partys_latest_score_and_sorts_by_the_lowest(
    program, director, client_for
):
    troubled, mentee, mentor = _pair(program, director)
    answered_review(troubled, mentee, score="2.0")
    later = answered_review(troubled, mentor, score="4.0")
    later.submitted_at = timezone.now() + timedelta(minutes=1)
    later.save()
    fine, fine_mentee, fine_mentor = _pair(program, director)
    answered_review(fine, fine_mentee, score="3.0")
    answered_review(fine, fine_mentor, score="3.0")
    response = client_for(director).get(
        reverse("program_relationships", args=[program.pk]) + "?sort=score"
    )
    rows = list(response.context["page"])
    assert [r.pk for r in rows] == [troubled.pk, fine.pk]
    assert (rows[0].mentee_score, rows[0].mentor_score) == (2, 4)
    body = response.content.decode()
    assert "Mentee 2.0" in body
    assert "Mentor 4.0" in body


# --- Queries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["home", "matching:fairness"])
def test_the_figures_pages_run_a_constant_number_of_queries(name, program, director, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.oversight_fixtures import populate

    client = client_for(director)
    url = reverse(name) if name == "home" else reverse(name, args=[program.pk])

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    populate(program, director, 1)
    small = count()
    populate(program, director, 30)
    assert count() == small
    # home 16, fairness 27 (most of it reading the matching problem, including the mentors'
    # recorded training; one is the header's unread-notification badge)
    assert small <= 27


def test_the_sql_quiet_rule_is_the_pure_rule_around_the_threshold(program, director):
    from programs.domain.figures import is_quiet
    from programs.selectors.figures import with_quiet

    program.meeting_cadence_days, program.checkin_grace_days = 30, 14
    program.save()
    today = timezone.now().date()
    expected = {}
    for days in (72, 73, 74, 75, 76, None):
        pair, *_ = _pair(program, director, days_old=300)
        if days is not None:
            past_meeting(pair, days_ago=days)
        anchor = today - timedelta(days=days if days is not None else 300)
        expected[pair.pk] = is_quiet(anchor=anchor, cadence_days=30, grace_days=14, today=today)
    found = dict(
        with_quiet(Relationship.objects.filter(program=program)).values_list("pk", "is_quiet")
    )
    assert found == expected
    assert sorted(expected.values()) == [False, False, True, True, True, True]
