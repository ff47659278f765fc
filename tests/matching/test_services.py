"""Requests, manual assignment, weights and bulk proposals: the rules people notice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from matching.models import (
    MatchRun,
    MentorRequest,
    RequestStatus,
    RunMode,
    RunStatus,
    SuggestionStatus,
)
from matching.services import (
    DECLINE_DEFAULT,
    MatchingError,
    conflict_declare,
    manual_assign,
    match_run_execute,
    match_run_publish,
    match_run_start,
    request_accept,
    request_decline,
    request_send,
    request_withdraw,
    requests_expire,
    suggestion_change_mentor,
    suggestion_remove,
    weights_update,
)
from mentorship.notifications.models import Notification
from programs.models import Membership, NeedArea, Relationship, RelationshipSource
from programs.services.pairing import Overrides
from tests.matching.conftest import offer
from tests.relationship_fixtures import make_relationship, program_mentee, program_mentor

pytestmark = pytest.mark.django_db


def send(program, mentee, mentor, **kwargs):
    return request_send(
        program=program,
        mentee=mentee.profile,
        mentor=mentor.profile,
        message="Hello, I would love your help with my K award.",
        by=mentee,
        **kwargs,
    )


# --- requests -----------------------------------------------------------------------------------


def test_a_request_reaches_the_mentor(program, ready_mentee, ready_mentor):
    request = send(program, ready_mentee, ready_mentor)
    assert request.status == RequestStatus.PENDING
    assert request.score > 0
    assert request.expires_at.date() == (timezone.now() + timedelta(days=14)).date()
    assert Notification.objects.filter(recipient=ready_mentor, kind="mentor_request").exists()


def test_asking_the_same_mentor_twice_is_refused(program, ready_mentee, ready_mentor):
    send(program, ready_mentee, ready_mentor)
    with pytest.raises(MatchingError, match="already asked"):
        send(program, ready_mentee, ready_mentor)


def test_pending_requests_are_limited(program, ready_mentee):
    program.max_pending_requests = 2
    program.save()
    mentors = [program_mentor(program) for _ in range(3)]
    send(program, ready_mentee, mentors[0])
    send(program, ready_mentee, mentors[1])
    with pytest.raises(MatchingError, match="2 requests waiting at once"):
        send(program, ready_mentee, mentors[2])


def test_a_request_to_an_excluded_mentor_does_not_say_why(program, ready_mentee, ready_mentor):
    conflict_declare(person=ready_mentor.profile, other=ready_mentee.profile, by=ready_mentor)
    with pytest.raises(MatchingError) as caught:
        send(program, ready_mentee, ready_mentor)
    assert "cannot take a request from you" in str(caught.value)
    assert "conflict" not in str(caught.value)


def test_accepting_starts_a_pilot_and_tells_the_mentee(
    program, ready_mentee, ready_mentor, django_capture_on_commit_callbacks
):
    request = send(
        program, ready_mentee, ready_mentor, focus_area=NeedArea.objects.get(slug="research")
    )
    relationship = request_accept(request=request, by=ready_mentor, message="Delighted!")
    assert relationship.source == RelationshipSource.REQUEST
    assert relationship.stage == "pilot"
    assert relationship.focus_area.slug == "research"
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    assert Notification.objects.filter(
        recipient=ready_mentee, kind="mentor_request", cycle="accepted"
    ).exists()


def test_a_full_mentor_is_told_clearly(program, ready_mentee, ready_mentor):
    Membership.objects.filter(program=program, person=ready_mentor.profile).update(
        mentor_capacity=1
    )
    request = send(program, ready_mentee, ready_mentor)
    other = program_mentee(program)
    make_relationship(program=program, mentees=[other], mentors=[ready_mentor])
    with pytest.raises(MatchingError, match="You already mentor 1 of your 1 places"):
        request_accept(request=request, by=ready_mentor)
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_first_acceptance_wins_for_the_same_need(program, ready_mentee, ready_mentor):
    other_mentor = program_mentor(program)
    offer(other_mentor)
    research = NeedArea.objects.get(slug="research")
    first = send(program, ready_mentee, ready_mentor, focus_area=research)
    second = send(program, ready_mentee, other_mentor, focus_area=research)
    request_accept(request=first, by=ready_mentor)
    second.refresh_from_db()
    assert second.status == RequestStatus.WITHDRAWN
    with pytest.raises(MatchingError, match="was withdrawn"):
        request_accept(request=second, by=other_mentor)


def test_declining_needs_no_reason_and_sends_a_kind_default(program, ready_mentee, ready_mentor):
    request = request_decline(request=send(program, ready_mentee, ready_mentor), by=ready_mentor)
    assert request.status == RequestStatus.DECLINED
    assert request.response_message == DECLINE_DEFAULT


def test_a_withdrawn_request_cannot_be_accepted(program, ready_mentee, ready_mentor):
    request = send(program, ready_mentee, ready_mentor)
    request_withdraw(request=request, by=ready_mentee)
    with pytest.raises(MatchingError, match="withdrawn by the mentee"):
        request_accept(request=request, by=ready_mentor)


def test_requests_expire_and_the_mentee_is_told(program, ready_mentee, ready_mentor):
    request = send(program, ready_mentee, ready_mentor)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert requests_expire() == 1
        assert requests_expire() == 0
        with pytest.raises(MatchingError, match="has expired"):
            request_accept(request=request, by=ready_mentor)
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    assert Notification.objects.filter(recipient=ready_mentee, cycle="expired").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_acceptances_at_once_cannot_overfill_a_mentor(program, ready_mentor):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    Membership.objects.filter(program=program, person=ready_mentor.profile).update(
        mentor_capacity=1
    )
    requests = []
    for _ in range(2):
        mentee = program_mentee(program)
        requests.append(send(program, mentee, ready_mentor))
    barrier, outcomes = threading.Barrier(2), []

    def accept(request):
        barrier.wait()
        try:
            request_accept(request=request, by=ready_mentor)
            outcomes.append("accepted")
        except MatchingError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["accepted", "refused"]
    assert Relationship.objects.filter(program=program).count() == 1


# --- manual assignment and weights --------------------------------------------------------------


def test_manual_assignment_refuses_an_excluded_pair_with_the_reason(
    program, mentee, mentor, director
):
    mentee.profile.reports_to = mentor.profile
    mentee.profile.save()
    with pytest.raises(ValidationError, match="reporting line"):
        manual_assign(program=program, mentee=mentee.profile, mentor=mentor.profile, by=director)


def test_manual_assignment_can_deliberately_exceed_capacity(program, mentee, mentor, director):
    Membership.objects.filter(program=program, person=mentor.profile).update(mentor_capacity=0)
    with pytest.raises(ValidationError, match="is full: 0 of 0 places"):
        manual_assign(program=program, mentee=mentee.profile, mentor=mentor.profile, by=director)
    relationship = manual_assign(
        program=program,
        mentee=mentee.profile,
        mentor=mentor.profile,
        overrides=Overrides.of(["capacity"], "She agreed to one more this term."),
        by=director,
    )
    assert relationship.source == RelationshipSource.MANUAL


def test_weights_that_are_all_zero_are_refused(program, director):
    with pytest.raises(MatchingError, match="At least one weight must be above zero"):
        weights_update(
            program=program,
            weights=dict.fromkeys(
                [
                    "needs",
                    "roles",
                    "interests",
                    "career_stage",
                    "experience",
                    "communication",
                    "time_zone",
                    "locality",
                ],
                0,
            ),
            by=director,
        )


# --- bulk runs ----------------------------------------------------------------------------------


def run(program, director, mode=RunMode.ONE_TO_ONE, **kwargs):
    started = match_run_start(program=program, mode=mode, by=director, **kwargs)
    match_run_execute(run_id=started.pk)  # tests run tasks eagerly; this is idempotent
    started.refresh_from_db()
    return started


def test_a_run_proposes_the_best_pairs_and_changes_nothing(
    program, director, django_capture_on_commit_callbacks
):
    mentors = [program_mentor(program, capacity=1) for _ in range(2)]
    for m in mentors:
        offer(m)
    mentees = [program_mentee(program) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        proposal = match_run_start(program=program, mode=RunMode.ONE_TO_ONE, by=director)
    proposal.refresh_from_db()
    assert proposal.status == RunStatus.READY
    assert proposal.summary["matched"] == 2
    assert proposal.summary["proven_optimal"] is True
    assert "only 2 places" in proposal.summary["warnings"][0]
    (unmatched,) = proposal.summary["unmatched"]
    assert unmatched["reason"] == "every suitable mentor is full"
    assert unmatched["person"] in [m.profile.pk for m in mentees]
    assert not Relationship.objects.exists()
    assert all(s.breakdown for s in proposal.suggestions.all())


def test_a_cohort_with_no_mentors_explains_itself(program, director, mentee):
    proposal = run(program, director)
    assert proposal.status == RunStatus.READY
    assert "No mentor in this program has a place free" in proposal.summary["message"]
    assert proposal.summary["unmatched"][0]["person"] == mentee.profile.pk


def test_publishing_creates_pilots_and_cannot_happen_twice(
    program, director, ready_mentee, ready_mentor
):
    proposal = run(program, director)
    relationships = match_run_publish(run=proposal, by=director)
    assert [r.source for r in relationships] == [RelationshipSource.MATCH_RUN]
    with pytest.raises(MatchingError, match="not yet published"):
        match_run_publish(run=proposal, by=director)


def test_a_removed_suggestion_is_not_published(program, director, ready_mentee, ready_mentor):
    proposal = run(program, director)
    suggestion_remove(suggestion=proposal.suggestions.get(), by=director)
    with pytest.raises(MatchingError, match="nothing to publish"):
        match_run_publish(run=proposal, by=director)


def test_changing_a_suggestion_checks_capacity_within_the_proposal(program, director):
    mentor_a, mentor_b = program_mentor(program, capacity=1), program_mentor(program, capacity=1)
    offer(mentor_a)
    offer(mentor_b)
    program_mentee(program)
    program_mentee(program)
    proposal = run(program, director)
    first, second = proposal.suggestions.order_by("pk")
    with pytest.raises(MatchingError, match="would be over capacity"):
        suggestion_change_mentor(suggestion=first, mentor=second.mentor, by=director)


def test_changing_a_suggestion_rescores_it(program, director, ready_mentee, ready_mentor):
    spare = program_mentor(program)
    proposal = run(program, director)
    suggestion = proposal.suggestions.get()
    changed = suggestion_change_mentor(suggestion=suggestion, mentor=spare.profile, by=director)
    assert changed.mentor == spare.profile
    assert changed.score < 100
    assert changed.breakdown


def test_a_mosaic_board_has_different_mentors_per_area(program, director, ready_mentee):
    research, promotion = NeedArea.objects.filter(slug__in=["research", "promotion"]).order_by(
        "slug"
    )
    for areas in (("research",), ("promotion",), ("research", "promotion")):
        offer(program_mentor(program), areas=areas)
    proposal = run(program, director, mode=RunMode.MOSAIC, areas=[research, promotion])
    board = list(proposal.suggestions.filter(status=SuggestionStatus.PROPOSED))
    assert len(board) == 2
    assert len({s.mentor_id for s in board}) == 2
    assert {s.area.slug for s in board} == {"research", "promotion"}


def test_peer_pairs_and_groups(program, director):
    for _ in range(7):
        program_mentee(program)
    pairs = run(program, director, mode=RunMode.PEER)
    assert pairs.summary["matched"] == 6
    assert len(pairs.summary["unmatched"]) == 1
    offer(program_mentor(program))
    groups = run(program, director, mode=RunMode.PEER_GROUPS)
    sizes = {}
    for s in groups.suggestions.all():
        sizes[s.group] = sizes.get(s.group, 0) + 1
    assert all(3 <= size <= 5 for size in sizes.values())
    assert sum(sizes.values()) == 7


def test_a_redelivered_run_task_does_nothing(program, director, ready_mentee, ready_mentor):
    proposal = run(program, director)
    count = proposal.suggestions.count()
    match_run_execute(run_id=proposal.pk)
    assert MatchRun.objects.get(pk=proposal.pk).suggestions.count() == count


def test_request_decline_keeps_status_when_already_answered(program, ready_mentee, ready_mentor):
    request = send(program, ready_mentee, ready_mentor)
    request_decline(request=request, by=ready_mentor)
    with pytest.raises(MatchingError, match="already declined"):
        request_decline(request=request, by=ready_mentor)
    assert MentorRequest.objects.get().status == RequestStatus.DECLINED


def test_an_intake_run_leaves_out_mentees_who_already_have_a_mentor(
    program, director, ready_mentee, ready_mentor
):
    make_relationship(program=program, mentees=[ready_mentee], mentors=[ready_mentor])
    newcomer = program_mentee(program)
    proposal = run(program, director)
    assert proposal.summary["already_matched"] == 1
    assert [s.mentee_id for s in proposal.suggestions.all()] == [newcomer.profile.pk]


def test_a_mosaic_run_skips_areas_already_covered(program, director, ready_mentee, ready_mentor):
    research = NeedArea.objects.get(slug="research")
    promotion = NeedArea.objects.get(slug="promotion")
    make_relationship(
        program=program, mentees=[ready_mentee], mentors=[ready_mentor], focus_area=research
    )
    newcomer = program_mentor(program)
    offer(newcomer, areas=("research", "promotion"))
    proposal = run(program, director, mode=RunMode.MOSAIC, areas=[research, promotion])
    # The promotion seat goes to someone not already on the board.
    assert [(s.area.slug, s.mentor_id) for s in proposal.suggestions.all()] == [
        ("promotion", newcomer.profile.pk)
    ]


def test_mosaic_reasons_for_an_empty_seat_are_words(program, director, ready_mentee):
    research = NeedArea.objects.get(slug="research")
    promotion = NeedArea.objects.get(slug="promotion")
    offer(program_mentor(program), areas=("research",))
    proposal = run(program, director, mode=RunMode.MOSAIC, areas=[research, promotion])
    (unmatched,) = proposal.summary["unmatched"]
    assert unmatched["reason"] == (
        f"{promotion.name}: no mentor in the program may be paired with them"
    )


def test_a_run_past_its_time_limit_says_so_and_keeps_the_best_so_far(program, director, settings):
    settings.MATCHING_TIME_LIMIT_SECONDS = 0
    for _ in range(2):
        offer(program_mentor(program, capacity=2))
    for _ in range(3):
        program_mentee(program)
    proposal = run(program, director)
    assert proposal.status == RunStatus.READY
    assert proposal.summary["proven_optimal"] is False
    assert any("time limit (0 s) was reached" in w for w in proposal.summary["warnings"])
    assert proposal.summary["matched"] == proposal.suggestions.count()


def test_a_consortium_sized_run_is_scored_in_blocks_and_gives_the_same_total(
    program, director, monkeypatch
):
    from matching import runs

    for capacity in (1, 2, 1):
        offer(program_mentor(program, capacity=capacity))
    for _ in range(5):
        program_mentee(program)
    dense = run(program, director)
    monkeypatch.setattr(runs, "BLOCKS_FROM_PAIRS", 1)
    blocks = run(program, director)
    assert blocks.summary["proven_optimal"] is True
    assert blocks.summary["matched"] == dense.summary["matched"] == 4
    assert blocks.summary["total_score"] == pytest.approx(dense.summary["total_score"], abs=0.1)
    assert len(blocks.summary["unmatched"]) == 1
    assert all(s.breakdown for s in blocks.suggestions.all())
