"""Publishing a proposal re-checks every suggestion against the current state in one pass."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from matching.models import MatchRun, MatchSuggestion, RunMode, RunStatus, SuggestionStatus
from matching.services import MatchingError, ProposalConflicts, match_run_publish
from programs.models import AuditEvent, MentorOffer, Relationship, RelationshipMember
from tests.relationship_fixtures import make_relationship, program_mentee, program_mentor


def _run(program, director, pairs, *, mode=RunMode.ONE_TO_ONE, cohort=None):
    run = MatchRun.objects.create(
        program=program, mode=mode, cohort=cohort, status=RunStatus.READY, created_by=director
    )
    for mentee, mentor in pairs:
        MatchSuggestion.objects.create(
            run=run, mentee=mentee.profile, mentor=mentor.profile, score=60
        )
    return run


def test_every_conflict_is_listed_at_once_and_nothing_is_published(program, director):
    mentees = [program_mentee(program) for _ in range(3)]
    paused, busy, fine = (program_mentor(program) for _ in range(3))
    MentorOffer.objects.create(
        person=paused.profile,
        accepting=False,
        paused_until=timezone.localdate() + timedelta(days=60),
    )
    other = program_mentor(program)
    make_relationship(program=program, mentees=[mentees[1]], mentors=[other], by=director)
    run = _run(program, director, [(mentees[0], paused), (mentees[1], busy), (mentees[2], fine)])
    with pytest.raises(ProposalConflicts) as refused:
        match_run_publish(run=run, by=director)
    conflicts = refused.value.conflicts
    assert [c.names for c in conflicts] == [
        mentees[0].profile.display_name,
        mentees[1].profile.display_name,
    ]
    assert [r.code for r in conflicts[0].reasons] == ["paused"]
    assert [r.code for r in conflicts[1].reasons] == ["one_mentor_per_mentee"]
    assert not Relationship.objects.filter(source="match_run").exists()


def test_drop_the_conflicting_suggestions_and_publish_the_rest(program, director):
    mentees = [program_mentee(program) for _ in range(2)]
    mentor = program_mentor(program, capacity=1)
    run = _run(program, director, [(mentees[0], mentor), (mentees[1], mentor)])
    # One place: the second suggestion conflicts with the first of the same proposal.
    with pytest.raises(ProposalConflicts) as refused:
        match_run_publish(run=run, by=director)
    (conflict,) = refused.value.conflicts
    assert "1 of 1 places taken" in conflict.reasons[0].message
    published = match_run_publish(run=run, by=director, drop_conflicting=True)
    assert len(published) == 1
    assert run.suggestions.filter(status=SuggestionStatus.REMOVED).count() == 1
    assert AuditEvent.objects.filter(verb="matching.suggestion_drop_conflict").exists()


def test_publishing_supersedes_older_ready_proposals_for_the_cohort(program, director):
    mentee, other = program_mentee(program), program_mentee(program)
    old_mentor, new_mentor = program_mentor(program), program_mentor(program)
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        older = _run(program, director, [(mentee, old_mentor), (other, old_mentor)])
    newer = _run(program, director, [(mentee, new_mentor), (other, new_mentor)])
    match_run_publish(run=newer, by=director)
    older.refresh_from_db()
    assert older.status == RunStatus.SUPERSEDED
    with pytest.raises(MatchingError, match="ready and not yet published"):
        match_run_publish(run=older, by=director)
    # Each mentee has exactly one mentor in this one-mentor program.
    for person in (mentee, other):
        assert RelationshipMember.objects.filter(person=person.profile).count() == 1


def test_a_stale_proposal_says_what_changed_and_offers_a_rerun(program, director, client_for):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        mentee, mentor = program_mentee(program), program_mentor(program)
        run = _run(program, director, [(mentee, mentor)])
    program_mentee(program)  # joined after the proposal was computed
    client = client_for(director)
    html = client.get(reverse("matching:run", args=[program.pk, run.pk])).content.decode()
    assert "The cohort changed since this proposal was computed." in html
    assert "1 mentee joined the program since this proposal was computed." in html
    response = client.post(reverse("matching:run_rerun", args=[program.pk, run.pk]))
    fresh = MatchRun.objects.exclude(pk=run.pk).get()
    assert response.url == reverse("matching:run", args=[program.pk, fresh.pk])
    assert fresh.mode == run.mode


def test_the_conflicts_page_lists_all_and_drops_them_in_one_click(program, director, client_for):
    mentees = [program_mentee(program) for _ in range(3)]
    mentor = program_mentor(program, capacity=1)
    fine = program_mentor(program)
    run = _run(program, director, [(mentees[0], mentor), (mentees[1], mentor), (mentees[2], fine)])
    client = client_for(director)
    url = reverse("matching:run_publish", args=[program.pk, run.pk])
    response = client.post(url)
    assert response.status_code == 409
    html = response.content.decode()
    assert mentees[1].profile.display_name in html
    assert "Drop the 1 conflicting suggestion and publish the other 2" in html
    assert client.post(url, {"drop_conflicting": "1"}).status_code == 302
    assert Relationship.objects.filter(source="match_run").count() == 2
