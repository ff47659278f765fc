"""Relationship reviews: requests and chases, answering once, risk flags, instruments."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification
from mentorship.notifications.tasks import sweep_pending
from programs.models import (
    Membership,
    RelationshipRisk,
    ReviewChoice,
    ReviewInstrument,
    ReviewRequest,
    ReviewResponse,
    RiskReason,
    Role,
)
from programs.selectors.reviews import completion_rates, latest_review_signal, review_history
from programs.services.relationships import relationship_end
from programs.services.reminders import due_work_sweep
from programs.services.reviews import (
    ItemData,
    ReviewLinkProblem,
    default_instrument,
    instrument_copy,
    instrument_save,
    program_instrument_choose,
    review_request_for_link,
    review_submit,
    review_token,
    risk_clear,
)
from tests.relationship_fixtures import make_relationship

pytestmark = pytest.mark.django_db


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def request_for(relationship, user, *, cycle: int = 0, opens_on: date | None = None):
    opens_on = opens_on or timezone.localdate() - timedelta(days=1)
    return ReviewRequest.objects.create(
        relationship=relationship,
        respondent=user.profile,
        instrument=default_instrument(),
        cycle=cycle,
        opens_on=opens_on,
        closes_on=opens_on + timedelta(days=30),
    )


def answers(request, value: int, warning_value: int | None = None) -> dict[int, int | None]:
    """Every strength at `value`, every warning sign at `warning_value` (default: mirrored)."""
    mirrored = 6 - value if warning_value is None else warning_value
    return {
        item.pk: (mirrored if item.polarity == "warning" else value)
        for item in request.instrument.items.all()
    }


def submit(request, user, value=4, choice=ReviewChoice.CONTINUE, **kwargs):
    return review_submit(
        request=request,
        answers=kwargs.pop("answers", None) or answers(request, value),
        choice=choice,
        by=user,
        **kwargs,
    )


# --- The default instrument --------------------------------------------------------------------


def test_the_default_instrument_ships_with_strengths_and_warning_signs():
    instrument = default_instrument()
    assert instrument.program is None
    constructs = dict(instrument.items.values_list("construct", "polarity"))
    assert [c for c, p in constructs.items() if p == "strength"] == [
        "reciprocity",
        "mutual_respect",
        "clear_expectations",
        "personal_connection",
        "shared_values",
    ]
    assert {c for c, p in constructs.items() if p == "warning"} == {
        "communication",
        "commitment",
        "personality_differences",
        "competition",
        "conflict_of_interest",
        "mentor_experience",
    }
    assert instrument.scale_labels[0] == "Strongly disagree"
    assert len(instrument.scale_labels) == 5


# --- Requests and chases -----------------------------------------------------------------------


@pytest.fixture
def pilot_pair(mentee, mentor, director, program):
    mentee.profile.time_zone = "America/Toronto"
    mentee.profile.save()
    with at(datetime(2026, 1, 5, 12, tzinfo=UTC)):
        return make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)


def test_each_party_is_asked_two_weeks_before_the_pilot_ends_then_chased_twice(
    pilot_pair, mentee, mentor
):
    pilot_ends = pilot_pair.pilot_ends_on  # 90 days after 5 January: 5 April
    opens = pilot_ends - timedelta(days=14)
    with at(datetime.combine(opens - timedelta(days=1), datetime.min.time(), tzinfo=UTC)):
        due_work_sweep()
    assert not ReviewRequest.objects.exists()
    with at(datetime(opens.year, opens.month, opens.day, 14, 30, tzinfo=UTC)):
        due_work_sweep()
        sweep_pending()
    requests = ReviewRequest.objects.filter(relationship=pilot_pair, cycle=0)
    assert {r.respondent.user for r in requests} == {mentee, mentor}
    reviews = [m for m in mail.outbox if "review" in m.subject.lower()]
    assert sorted(m.to[0] for m in reviews) == sorted([mentee.email, mentor.email])
    mentee_mail = next(m for m in reviews if m.to == [mentee.email])
    mine = requests.get(respondent=mentee.profile)
    token = re.search(r"/reviews/([^/\s]+)/", mentee_mail.body).group(1)
    with at(datetime(opens.year, opens.month, opens.day, 15, tzinfo=UTC)):
        assert review_request_for_link(token=token, user=mentee) == mine
    assert "pilot review" in mentee_mail.subject.lower()
    # The mentor answers; the mentee does not, and is chased twice, a week apart, then never.
    submit(requests.get(respondent=mentor.profile), mentor)
    for days in (7, 14, 21, 28):
        day = opens + timedelta(days=days)
        with at(datetime(day.year, day.month, day.day, 15, tzinfo=UTC)):
            due_work_sweep()
            sweep_pending()
    chases = Notification.objects.filter(kind=Kind.REVIEW_CHASE)
    assert sorted(chases.values_list("cycle", flat=True)) == ["chase-1", "chase-2"]
    assert set(chases.values_list("recipient", flat=True)) == {mentee.pk}
    assert len([m for m in mail.outbox if "Reminder" in m.subject]) == 2


def test_an_answered_review_is_not_chased(pilot_pair, mentee):
    opens = pilot_pair.pilot_ends_on - timedelta(days=14)
    with at(datetime(opens.year, opens.month, opens.day, 15, tzinfo=UTC)):
        due_work_sweep()
    request = ReviewRequest.objects.get(respondent=mentee.profile)
    with at(datetime(opens.year, opens.month, opens.day, 16, tzinfo=UTC)):
        submit(request, mentee)
    day = opens + timedelta(days=7)
    with at(datetime(day.year, day.month, day.day, 15, tzinfo=UTC)):
        due_work_sweep()
        mail.outbox.clear()
        sweep_pending()
    assert not Notification.objects.filter(kind=Kind.REVIEW_CHASE, recipient=mentee).exists()


def test_then_every_review_cadence(pilot_pair, program):
    program.review_cadence_months = 3
    program.save()
    with at(datetime(2026, 7, 6, 15, tzinfo=UTC)):  # pilot ended 5 April; +3 months
        due_work_sweep()
    assert set(ReviewRequest.objects.values_list("cycle", flat=True)) == {1}


def test_a_program_instrument_is_used_for_new_requests(pilot_pair, program, director):
    own = instrument_copy(instrument=default_instrument(), program=program, by=director)
    program_instrument_choose(program=program, instrument=own, by=director)
    opens = pilot_pair.pilot_ends_on - timedelta(days=14)
    with at(datetime(opens.year, opens.month, opens.day, 15, tzinfo=UTC)):
        due_work_sweep()
    assert set(ReviewRequest.objects.values_list("instrument", flat=True)) == {own.pk}


# --- The link ----------------------------------------------------------------------------------


def test_the_link_works_for_its_respondent_only(pair, mentee, mentor):
    request = request_for(pair, mentee)
    token = review_token(request)
    assert review_request_for_link(token=token, user=mentee) == request
    with pytest.raises(ReviewLinkProblem) as problem:
        review_request_for_link(token=token, user=mentor)
    assert problem.value.reason == ReviewLinkProblem.WRONG_PERSON


def test_an_altered_or_rotated_link_is_refused(pair, mentee):
    request = request_for(pair, mentee)
    token = review_token(request)
    for bad in (token[:-3] + "abc", "nonsense"):
        with pytest.raises(ReviewLinkProblem) as problem:
            review_request_for_link(token=bad, user=mentee)
        assert problem.value.reason == ReviewLinkProblem.INVALID
    ReviewRequest.objects.filter(pk=request.pk).update(token_nonce="rotated")
    with pytest.raises(ReviewLinkProblem):
        review_request_for_link(token=token, user=mentee)


def test_an_expired_link_is_refused(pair, mentee):
    request = request_for(pair, mentee, opens_on=timezone.localdate() - timedelta(days=40))
    with pytest.raises(ReviewLinkProblem) as problem:
        review_request_for_link(token=review_token(request), user=mentee)
    assert problem.value.reason == ReviewLinkProblem.EXPIRED


def test_a_review_is_recorded_once(pair, mentee):
    request = request_for(pair, mentee)
    submit(request, mentee)
    with pytest.raises(ReviewLinkProblem) as problem:
        review_request_for_link(token=review_token(request), user=mentee)
    assert problem.value.reason == ReviewLinkProblem.ANSWERED
    with pytest.raises(ValidationError, match="already answered"):
        submit(request, mentee)
    assert ReviewResponse.objects.count() == 1


def test_someone_else_cannot_submit_it(pair, mentee, mentor):
    request = request_for(pair, mentee)
    with pytest.raises(ValidationError, match="someone else"):
        submit(request, mentor)
    assert not ReviewResponse.objects.exists()


def test_answers_out_of_the_scale_are_refused(pair, mentee):
    request = request_for(pair, mentee)
    bad = answers(request, 4)
    bad[next(iter(bad))] = 9
    with pytest.raises(ValidationError):
        submit(request, mentee, answers=bad)
    assert not ReviewResponse.objects.exists()


# --- Scores and risk ---------------------------------------------------------------------------


def test_the_score_reverses_warning_signs(pair, mentee):
    request = request_for(pair, mentee)
    response = submit(request, mentee, answers=answers(request, 5, warning_value=1))
    assert response.score == Decimal("5.00")


def test_a_healthy_review_flags_nothing(pair, mentee, director):
    submit(request_for(pair, mentee), mentee, value=4)
    assert not RelationshipRisk.objects.exists()
    assert not Notification.objects.filter(kind=Kind.AT_RISK).exists()


def test_a_low_score_flags_the_relationship_and_tells_the_directors(
    pair, mentee, mentor, director, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(
            request_for(pair, mentee),
            mentee,
            value=2,
            comment_for_directors="SECRET-COMMENT about my mentor",
        )
    assert list(RelationshipRisk.objects.values_list("reason", flat=True)) == [RiskReason.LOW_SCORE]
    assert [m.to for m in mail.outbox] == [[director.email]]
    message = mail.outbox[0]
    for text in (message.subject, message.body, message.alternatives[0][0]):
        assert "SECRET-COMMENT" not in text
    assert f"/relationships/{pair.pk}/reviews/" in message.body


def test_a_sharp_drop_since_the_persons_previous_review_flags_it(pair, mentee, mentor):
    submit(request_for(pair, mentee, cycle=0), mentee, value=4)
    submit(request_for(pair, mentor, cycle=1), mentor, value=3)  # another person: no drop
    assert not RelationshipRisk.objects.exists()
    submit(request_for(pair, mentee, cycle=1), mentee, value=3)  # 4.0 → 3.0: a drop of 1
    assert list(RelationshipRisk.objects.values_list("reason", flat=True)) == [
        RiskReason.SHARP_DROP
    ]


def test_choosing_to_end_flags_it_but_ends_nothing(pair, mentee):
    submit(request_for(pair, mentee), mentee, value=5, choice=ReviewChoice.END)
    pair.refresh_from_db()
    assert pair.is_open
    assert RelationshipRisk.objects.get().reason == RiskReason.WANTS_TO_END


def test_a_director_in_the_relationship_is_not_told(pair, mentee, mentor, director, program):
    Membership.objects.filter(program=program, person=mentor.profile).update(role=Role.DIRECTOR)
    submit(request_for(pair, mentee), mentee, value=1)
    recipients = set(
        Notification.objects.filter(kind=Kind.AT_RISK).values_list("recipient", flat=True)
    )
    assert recipients == {director.pk}


def test_a_director_clears_a_risk_with_a_note(pair, mentee, director):
    submit(request_for(pair, mentee), mentee, value=1, choice=ReviewChoice.END)
    risk = RelationshipRisk.objects.first()
    with pytest.raises(ValidationError):
        risk_clear(risk=risk, note="  ", by=director)
    risk_clear(risk=risk, note="Spoke with both; agreed a new rhythm.", by=director)
    assert not RelationshipRisk.objects.filter(cleared_at__isnull=True).exists()
    assert set(RelationshipRisk.objects.values_list("cleared_note", flat=True)) == {
        "Spoke with both; agreed a new rhythm."
    }


def test_the_mentee_cannot_clear_a_risk(pair, mentee):
    submit(request_for(pair, mentee), mentee, value=1)
    with pytest.raises(ValidationError):
        risk_clear(risk=RelationshipRisk.objects.first(), note="nothing to see", by=mentee)


def test_an_ended_relationship_closes_its_reviews(pair, mentee, mentor):
    request = request_for(pair, mentee)
    relationship_end(relationship=pair, by=mentor)
    with pytest.raises(ReviewLinkProblem) as problem:
        review_request_for_link(token=review_token(request), user=mentee)
    assert problem.value.reason == ReviewLinkProblem.ENDED


# --- Directors' reads --------------------------------------------------------------------------


def test_the_history_shows_both_parties_side_by_side(pair, mentee, mentor):
    submit(request_for(pair, mentee), mentee, value=4)
    request_for(pair, mentor)  # not answered yet
    history = review_history(pair)
    (cycle,) = history.cycles
    statuses = [c.status if c else None for c in cycle.columns]
    people = [p.user for p in history.people]
    assert dict(zip(people, statuses, strict=True)) == {mentee: "answered", mentor: "waiting"}
    _first_item, values = cycle.rows[0]
    assert values[people.index(mentee)] == 4
    assert values[people.index(mentor)] == ""


def test_signals_and_rates_take_a_fixed_number_of_queries(pair, mentee, mentor, program, director):
    submit(request_for(pair, mentee), mentee, value=1)
    request_for(pair, mentor)
    with CaptureQueriesContext(connection) as queries:
        signals = latest_review_signal([pair])
    assert len(queries) == 3
    signal = signals[pair.pk]
    assert signal.at_risk
    assert (signal.answered, signal.requested) == (1, 2)
    with CaptureQueriesContext(connection) as queries:
        rates = completion_rates(program)
    assert len(queries) == 1
    assert (rates.total.requested, rates.total.answered, rates.total.percent) == (2, 1, 50)


# --- Instruments -------------------------------------------------------------------------------


ITEMS = [ItemData("We meet as often as we agreed.", "commitment", "strength")]


def test_a_program_defines_its_own_instrument(program, director):
    instrument = instrument_save(
        program=program,
        instrument=None,
        name="Licensed scale",
        scale_max=7,
        scale_labels=[str(i) for i in range(1, 8)],
        items=[*ITEMS, ItemData("We compete.", "competition", "warning")],
        by=director,
    )
    assert instrument.program == program
    assert instrument.items.count() == 2


def test_labels_must_match_the_scale(program, director):
    with pytest.raises(ValidationError) as error:
        instrument_save(
            program=program,
            instrument=None,
            name="x",
            scale_max=5,
            scale_labels=["low", "high"],
            items=ITEMS,
            by=director,
        )
    assert "scale_labels" in error.value.error_dict


def test_an_answered_instrument_cannot_change(pair, mentee, program, director):
    own = instrument_copy(instrument=default_instrument(), program=program, by=director)
    request = request_for(pair, mentee)
    request.instrument = own
    request.save()
    submit(request, mentee)
    with pytest.raises(ValidationError, match="already answered"):
        instrument_save(
            program=program,
            instrument=own,
            name="x",
            scale_max=5,
            scale_labels=[],
            items=ITEMS,
            by=director,
        )


def test_the_shipped_instrument_cannot_be_edited(program, director):
    with pytest.raises(ValidationError):
        instrument_save(
            program=program,
            instrument=default_instrument(),
            name="mine",
            scale_max=5,
            scale_labels=[],
            items=ITEMS,
            by=director,
        )
    assert ReviewInstrument.objects.filter(program__isnull=True).count() == 1


def test_another_programs_instrument_cannot_be_chosen(program, other_program, director):
    theirs = instrument_copy(instrument=default_instrument(), program=other_program, by=director)
    with pytest.raises(ValidationError):
        program_instrument_choose(program=program, instrument=theirs, by=director)
