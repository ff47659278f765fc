"""The mentee's board, the mentor's dashboard, the director's list and the home page: content,
and a constant number of queries whether a person has 1 or 50 relationships."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.models import ActionItem, AgendaItem, Agreement, MentorOffer, RelationshipKind
from programs.services.agreements import agreement_confirm
from programs.services.meetings import recap_write
from tests.relationship_fixtures import (
    MANY_PAIRS,
    make_relationship,
    past_meeting,
    program_mentee,
    program_mentor,
    submitted_assessment,
    upcoming_meeting,
)

pytestmark = pytest.mark.django_db


def _with_activity(relationship, owner):
    past_meeting(relationship, days_ago=20)
    meeting = upcoming_meeting(relationship, days_ahead=5)
    AgendaItem.objects.create(meeting=meeting, topic="Topic", order=1)
    ActionItem.objects.create(
        relationship=relationship,
        owner=owner,
        title="Overdue thing",
        due_on=timezone.localdate() - timedelta(days=3),
    )


def _mentors_for(mentee, program, director, count):
    for _ in range(count):
        mentor = program_mentor(program)
        relationship = make_relationship(
            program=program, mentees=[mentee], mentors=[mentor], by=director, overrides=MANY_PAIRS
        )
        _with_activity(relationship, mentee.profile)


def _mentees_for(mentor, program, director, count):
    for _ in range(count):
        mentee = program_mentee(program)
        relationship = make_relationship(
            program=program, mentees=[mentee], mentors=[mentor], by=director, overrides=MANY_PAIRS
        )
        _with_activity(relationship, mentee.profile)


def _count(client, url):
    client.get(url)  # the first request of a session also stores the time zone in it
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url_name", ["mentee_board", "home"])
def test_the_board_runs_the_same_queries_for_1_or_50_relationships(
    mentee, director, program, client_for, django_assert_num_queries, url_name
):
    submitted_assessment(mentee)
    client = client_for(mentee)
    _mentors_for(mentee, program, director, 1)
    one = _count(client, reverse(url_name))
    _mentors_for(mentee, program, director, 49)
    with django_assert_num_queries(one):
        response = client.get(reverse(url_name))
    if url_name == "mentee_board":
        assert len(response.context["board"].entries) == 50


def test_the_mentor_dashboard_runs_the_same_queries_for_1_or_50(
    mentor, director, program, client_for, django_assert_num_queries
):
    client = client_for(mentor)
    _mentees_for(mentor, program, director, 1)
    one = _count(client, reverse("mentor_dashboard"))
    _mentees_for(mentor, program, director, 49)
    with django_assert_num_queries(one):
        response = client.get(reverse("mentor_dashboard"))
    assert len(response.context["dashboard"].entries) == 50


def test_the_directors_list_runs_the_same_queries_for_1_or_50(
    mentor, director, program, client_for, django_assert_num_queries
):
    client = client_for(director)
    url = reverse("program_relationships", args=[program.pk])
    _mentees_for(mentor, program, director, 1)
    one = _count(client, url)
    _mentees_for(mentor, program, director, 49)
    with django_assert_num_queries(one):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 50


# --- What the board shows ------------------------------------------------------------------------


def test_the_board_shows_covered_needs_and_gaps(mentee, mentor, director, program, client_for):
    from programs.models import NeedArea

    submitted_assessment(mentee, needs=("research", "promotion"), roles=("sponsor", "confidant"))
    make_relationship(
        program=program,
        mentees=[mentee],
        mentors=[mentor],
        focus_area=NeedArea.objects.get(slug="research"),
        roles=["sponsor"],
        by=director,
    )
    response = client_for(mentee).get(reverse("mentee_board"))
    board = response.context["board"]
    coverage = {n.need.area.slug: bool(n.covered_by) for n in board.needs}
    assert coverage == {"research": True, "promotion": False}
    roles = {r.role: bool(r.covered_by) for r in board.roles}
    assert roles == {"sponsor": True, "confidant": False}
    html = response.content.decode()
    assert "Robert Mentor" in html
    assert "Gap" in html


def test_the_board_without_a_self_evaluation_says_what_to_do(pair, mentee, client_for):
    html = client_for(mentee).get(reverse("mentee_board")).content.decode()
    assert "Fill in your mentoring self-evaluation" in html


def test_the_board_offers_an_outside_mentor_to_mentees_only(mentee, mentor, client_for):
    assert (
        "Add an outside mentor" in client_for(mentee).get(reverse("mentee_board")).content.decode()
    )
    assert (
        "Add an outside mentor"
        not in client_for(mentor).get(reverse("mentee_board")).content.decode()
    )


def test_goal_progress_counts_held_meetings_only(pair, mentee, client_for):
    goal = submitted_assessment(mentee).goals.first()
    AgendaItem.objects.create(meeting=past_meeting(pair), topic="a", goal=goal)
    AgendaItem.objects.create(meeting=upcoming_meeting(pair), topic="b", goal=goal)
    board = client_for(mentee).get(reverse("mentee_board")).context["board"]
    progress = next(g for g in board.goals if g.goal == goal)
    assert len(progress.meetings) == 1


def test_the_mentor_dashboard_shows_load_against_capacity(pair, mentor, client_for):
    response = client_for(mentor).get(reverse("mentor_dashboard"))
    (load,) = response.context["dashboard"].loads
    assert (load.current, load.membership.mentor_capacity) == (1, 3)
    assert "1 of 3" in response.content.decode()


def test_the_mentor_dashboard_lists_groups_and_quiet_relationships(group, mentor, client_for):
    group.started_on = timezone.localdate() - timedelta(days=200)
    group.pilot_ends_on = None
    group.save()
    from programs.services.reminders import due_work_sweep

    due_work_sweep()  # two meeting cycles missed: the sweep flags it quiet
    dashboard = client_for(mentor).get(reverse("mentor_dashboard")).context["dashboard"]
    assert [e.relationship.kind for e in dashboard.entries] == [RelationshipKind.FACILITATED_GROUP]
    assert [e.relationship for e in dashboard.quiet] == [group]


# --- Home page next steps -----------------------------------------------------------------------


def test_home_lists_relationship_next_steps(pair, mentee, mentor, client_for):
    upcoming_meeting(pair, days_ahead=3)  # no agenda yet
    meeting = past_meeting(pair, days_ago=2)
    recap_write(meeting=meeting, text="Recap", by=mentor)
    pair.pilot_ends_on = timezone.localdate() + timedelta(days=5)
    pair.save()
    titles = [s.title for s in client_for(mentee).get(reverse("home")).context["next_steps"]]
    assert any(t.startswith("Confirm your mentoring agreement") for t in titles)
    assert any(t.startswith("Decide after the pilot") for t in titles)
    assert any(t.startswith("Prepare your agenda") for t in titles)
    assert any(t.startswith("Confirm the recap of your meeting") for t in titles)
    agreement_confirm(
        relationship=pair, revision=Agreement.objects.get(relationship=pair).revision, by=mentee
    )
    titles = [s.title for s in client_for(mentee).get(reverse("home")).context["next_steps"]]
    assert not any(t.startswith("Confirm your mentoring agreement") for t in titles)


def test_home_asks_to_log_a_meeting_that_took_place(pair, mentor, client_for):
    past_meeting(pair, days_ago=1, status="scheduled")
    titles = [s.title for s in client_for(mentor).get(reverse("home")).context["next_steps"]]
    assert any(t.startswith("Log your meeting") for t in titles)


def test_home_links_the_board_and_the_dashboard(pair, mentee, mentor, client_for):
    assert reverse("mentee_board") in client_for(mentee).get(reverse("home")).content.decode()
    assert reverse("mentor_dashboard") in client_for(mentor).get(reverse("home")).content.decode()


def test_an_outside_mentor_is_not_told_to_join_a_program(mentee, program, client_for):
    from matching.services import outside_mentor_invite

    request = outside_mentor_invite(
        program=program,
        mentee=mentee.profile,
        email="far@away.example",
        given_name="Far",
        family_name="Away",
        by=mentee,
    )
    outside = request.mentor.user
    titles = [s.title for s in client_for(outside).get(reverse("home")).context["next_steps"]]
    assert "Join a program" not in titles
    assert not MentorOffer.objects.filter(person__user=outside).exists()


def test_home_asks_to_review_an_agreement_whose_date_has_come(pair, mentee, mentor, client_for):
    import time_machine

    from programs.models import AgreementVersion

    revision = Agreement.objects.get(relationship=pair).revision
    for user in (mentee, mentor):
        agreement_confirm(relationship=pair, revision=revision, by=user)
    review_on = AgreementVersion.objects.get(agreement__relationship=pair).review_on
    with time_machine.travel(review_on + timedelta(days=1)):
        client = client_for(mentee)
        titles = [s.title for s in client.get(reverse("home")).context["next_steps"]]
        assert "Review your mentoring agreement with Robert Mentor" in titles
        page = client.get(reverse("relationship_agreement", args=[pair.pk])).content.decode()
        assert "Time to review this agreement" in page


def test_home_cards_name_the_other_person_and_never_repeat(pair, mentee, mentor, client_for):
    meeting = past_meeting(pair, days_ago=1)
    recap_write(meeting=meeting, text="Recap", by=mentor)
    titles = [s.title for s in client_for(mentee).get(reverse("home")).context["next_steps"]]
    assert "Confirm the recap of your meeting with Robert Mentor" in titles
    assert "Confirm your mentoring agreement with Robert Mentor" in titles
    assert len(titles) == len(set(titles))


def test_one_card_per_meeting_and_per_relationship_step(pair):
    from programs.selectors.home import unique_steps
    from programs.selectors.relationships import RelationshipStep

    meeting = past_meeting(pair, days_ago=1, status="scheduled")
    steps = [
        RelationshipStep("agreement", pair),
        RelationshipStep("log", pair, meeting),
        RelationshipStep("recap", pair, meeting),
        RelationshipStep("agreement", pair),
    ]
    assert [s.kind for s in unique_steps(steps)] == ["agreement", "log"]
