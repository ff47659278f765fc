"""The report summary's selectors (`selectors/figures.py`): meetings against the agreed cadence,
endings by category, review scores by subscale with small cells hidden, mentors trained, and the
match rate at the end of a past period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from programs.models import (
    ItemPolarity,
    Membership,
    MentorTraining,
    Program,
    ReviewAnswer,
    ReviewItem,
)
from programs.selectors.figures import (
    endings_by_category,
    match_rates,
    meetings_against_cadence,
    mentors_trained,
    review_scores_by_subscale,
)
from programs.services.relationships import relationship_end
from tests.oversight_fixtures import answered_review, instrument
from tests.relationship_fixtures import (
    make_relationship,
    past_meeting,
    program_mentee,
    program_mentor,
)

pytestmark = pytest.mark.django_db


def _pair(program, director, *, days_ago=89):
    mentee, mentor = program_mentee(program), program_mentor(program)
    relationship = make_relationship(
        program=program,
        mentees=[mentee],
        mentors=[mentor],
        by=director,
        started_on=timezone.localdate() - dt.timedelta(days=days_ago),
    )
    return relationship, mentee, mentor


def test_meetings_are_counted_against_the_agreed_cadence(program, director):
    Program.objects.filter(pk=program.pk).update(meeting_cadence_days=30)
    program.refresh_from_db()
    relationship, *_ = _pair(program, director, days_ago=89)  # 90 days open: three cycles
    past_meeting(relationship, days_ago=60)
    past_meeting(relationship, days_ago=20)
    today = timezone.localdate()
    cadence = meetings_against_cadence(
        program=program, start=today - dt.timedelta(days=365), end=today
    )
    assert (cadence.relationships, cadence.held, cadence.expected) == (1, 2, 3)
    assert cadence.held_rate == 67
    assert cadence.on_cadence == 0


def test_endings_are_counted_by_category_only(program, director):
    relationship, mentee, _ = _pair(program, director)
    relationship_end(relationship=relationship, by=mentee, reason_for_directors="PRIVATE")
    today = timezone.localdate()
    endings = endings_by_category(program=program, start=today - dt.timedelta(days=1), end=today)
    assert endings["ended_early"] == 1
    assert sum(endings.values()) == 1
    assert "PRIVATE" not in repr(endings)


def test_a_subscale_answered_by_fewer_than_five_people_is_hidden(program, director):
    item = ReviewItem.objects.create(
        instrument=instrument(), construct="trust", text="I trust them", order=99
    )
    warning = ReviewItem.objects.create(
        instrument=instrument(),
        construct="strain",
        text="Meetings feel like a chore",
        polarity=ItemPolarity.WARNING,
        order=100,
    )
    for n in range(5):
        relationship, mentee, _ = _pair(program, director)
        response = answered_review(relationship, mentee)
        ReviewAnswer.objects.create(response=response, item=item, value=5)
        if n < 2:
            ReviewAnswer.objects.create(response=response, item=warning, value=5)
    today = timezone.localdate()
    scores = {
        (s.subscale, s.side): s
        for s in review_scores_by_subscale(
            program=program, start=today - dt.timedelta(days=1), end=today
        )
    }
    assert scores["trust", "mentee"].mean == 5.0
    assert scores["trust", "mentee"].respondents == 5
    assert scores["strain", "mentee"].hidden  # two people: not shown


def test_mentors_trained_counts_training_completed_by_the_end(program, director):
    _, _, mentor = _pair(program, director)
    today = timezone.localdate()
    MentorTraining.objects.create(person=mentor.profile, name="Workshop", completed_on=today)
    assert mentors_trained(program=program, on=today) == (1, 1)
    assert mentors_trained(program=program, on=today - dt.timedelta(days=1)) == (0, 0)


def test_the_match_rate_at_a_past_date_counts_a_relationship_open_then(program, director):
    relationship, mentee, _ = _pair(program, director, days_ago=30)
    Membership.objects.filter(program=program).update(
        joined_at=timezone.now() - dt.timedelta(days=40)
    )
    relationship_end(relationship=relationship, by=mentee, reason_for_directors="")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    now, then = match_rates(program=program), match_rates(program=program, on=yesterday)
    assert (now.mentees, now.matched) == (1, 0)
    assert (then.mentees, then.matched) == (1, 1)
