"""Group proposals: facilitated groups with a senior facilitator, mastermind groups without one,
directors editing groups through the pairing gate, what publishing creates; peer pairs at scale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from matching import runs
from matching.models import MatchSuggestion, RunMode, SuggestionStatus
from matching.selectors import proposal_groups, publish_plan, run_suggestions
from matching.services import (
    MatchingError,
    group_facilitator_change,
    group_member_move,
    match_run_execute,
    match_run_publish,
    match_run_start,
    proposal_conflicts,
)
from programs.models import MentorOffer, Relationship, RelationshipKind, RelationshipMember
from tests.relationship_fixtures import program_mentee, program_mentor

pytestmark = pytest.mark.django_db


def run(program, director, mode):
    started = match_run_start(program=program, mode=mode, by=director)
    match_run_execute(run_id=started.pk)
    started.refresh_from_db()
    return started


def senior(user, year=1990):
    profile = user.profile
    profile.year_joined_faculty = year
    profile.save(update_fields=["year_joined_faculty"])
    return user


def groups_of(proposal):
    found = {}
    for s in proposal.suggestions.filter(status=SuggestionStatus.PROPOSED):
        found.setdefault(s.group, []).append(s)
    return found


@pytest.fixture
def cohort(program):
    return [program_mentee(program) for _ in range(8)]


def test_facilitated_groups_have_a_senior_facilitator_and_scores_that_add_up(
    program, director, cohort
):
    seniors = [senior(program_mentor(program, capacity=2)) for _ in range(2)]
    junior = program_mentor(program, capacity=5)  # same standing as the mentees: never chosen
    proposal = run(program, director, RunMode.PEER_GROUPS)
    groups = groups_of(proposal)
    assert sum(len(m) for m in groups.values()) == 8
    assert all(3 <= len(m) <= 5 for m in groups.values())
    senior_ids = {u.profile.pk for u in seniors}
    for members in groups.values():
        assert {s.mentor_id for s in members} <= senior_ids
        assert junior.profile.pk not in {s.mentor_id for s in members}
        first = members[0]
        assert first.score == pytest.approx(sum(item["points"] for item in first.breakdown))
        assert all(item["points"] <= item["max_points"] for item in first.breakdown)
        assert all(s.score == first.score for s in members)
    assert proposal.summary["heuristic"] is True
    assert not proposal.summary["warnings"]


def test_without_a_senior_enough_facilitator_the_director_is_told(program, director, cohort):
    program_mentor(program)  # joined the faculty the same year as the mentees
    proposal = run(program, director, RunMode.PEER_GROUPS)
    assert all(s.mentor_id is None for s in proposal.suggestions.all())
    assert "senior enough to every member" in proposal.summary["warnings"][0]


def test_a_mentee_who_also_mentors_never_facilitates_another_group(program, director, cohort):
    from programs.models import Membership, Role

    both = senior(cohort[0])
    Membership.objects.filter(program=program, person=both.profile).update(role=Role.BOTH)
    senior(program_mentor(program, capacity=3), year=1980)
    proposal = run(program, director, RunMode.PEER_GROUPS)
    placed = set(proposal.suggestions.values_list("mentee_id", flat=True))
    facilitators = set(proposal.suggestions.values_list("mentor_id", flat=True))
    assert not placed & facilitators


def test_mastermind_groups_have_no_facilitator_and_publish_as_peer_groups(
    program, director, cohort
):
    proposal = run(program, director, RunMode.MASTERMIND)
    groups = groups_of(proposal)
    assert groups
    assert all(s.mentor_id is None for m in groups.values() for s in m)
    plan = publish_plan(proposal, list(run_suggestions(proposal)))
    assert plan.relationships == len(groups)
    assert plan.words == f"{len(groups)} groups with 8 members"
    created = match_run_publish(run=proposal, by=director)
    assert len(created) == len(groups)
    assert {r.kind for r in created} == {RelationshipKind.PEER_GROUP}
    assert RelationshipMember.objects.filter(side="peer").count() == 8


def test_the_publish_plan_counts_facilitators(program, director, cohort):
    senior(program_mentor(program, capacity=1))
    senior(program_mentor(program, capacity=1))
    proposal = run(program, director, RunMode.PEER_GROUPS)
    plan = publish_plan(proposal, list(run_suggestions(proposal)))
    count = len(groups_of(proposal))
    assert plan.words == f"{count} groups with 8 members and {count} facilitators"
    assert len(match_run_publish(run=proposal, by=director)) == count
    assert Relationship.objects.filter(kind=RelationshipKind.FACILITATED_GROUP).count() == count


@pytest.fixture
def two_groups(program, director, cohort):
    for _ in range(2):
        senior(program_mentor(program, capacity=1))
    proposal = run(program, director, RunMode.PEER_GROUPS)
    assert len(groups_of(proposal)) == 2
    return proposal


def test_a_director_moves_a_member_and_both_groups_are_rescored(two_groups, director):
    groups = groups_of(two_groups)
    big, small = sorted(groups, key=lambda g: -len(groups[g]))
    if len(groups[big]) == len(groups[small]):  # 4 and 4: move one, then both are legal
        pass
    mover = groups[big][0]
    moved = group_member_move(suggestion=mover, group=small, by=director)
    assert moved.group == small
    assert moved.mentor_id == groups[small][0].mentor_id
    after = groups_of(two_groups)
    for members in after.values():
        first = members[0]
        assert first.score == pytest.approx(sum(i["points"] for i in first.breakdown))


def test_a_move_into_a_full_group_is_refused(program, director, two_groups):
    groups = groups_of(two_groups)
    target = next(iter(groups))
    extra = [program_mentee(program) for _ in range(5 - len(groups[target]) + 1)]
    facilitator = groups[target][0].mentor
    for user in extra[:-1]:
        MatchSuggestion.objects.create(
            run=two_groups, mentee=user.profile, mentor=facilitator, group=target, score=0
        )
    lonely = MatchSuggestion.objects.create(
        run=two_groups, mentee=extra[-1].profile, mentor=None, group=99, score=0
    )
    with pytest.raises(MatchingError, match="3 to 5 mentees"):
        group_member_move(suggestion=lonely, group=target, by=director)
    assert MatchSuggestion.objects.get(pk=lonely.pk).group == 99


def test_a_move_under_a_facilitator_who_is_not_senior_to_them_is_refused(
    program, director, two_groups
):
    groups = groups_of(two_groups)
    a, b = list(groups)
    mover = groups[a][0]
    mover.mentee.year_joined_faculty = 1970
    mover.mentee.save(update_fields=["year_joined_faculty"])
    with pytest.raises(MatchingError, match="not senior enough to facilitate"):
        group_member_move(suggestion=mover, group=b, by=director)


def test_changing_the_facilitator_goes_through_the_gate(program, director, two_groups):
    groups = groups_of(two_groups)
    a, b = list(groups)
    junior = program_mentor(program)
    with pytest.raises(MatchingError, match="not senior enough"):
        group_facilitator_change(run=two_groups, group=a, facilitator=junior.profile, by=director)
    # The other group's facilitator has one place, already taken by their own group.
    other = groups[b][0].mentor
    with pytest.raises(MatchingError, match="is full"):
        group_facilitator_change(run=two_groups, group=a, facilitator=other, by=director)
    paused = senior(program_mentor(program))
    MentorOffer.objects.create(
        person=paused.profile,
        accepting=False,
        paused_until=timezone.localdate() + timedelta(days=30),
    )
    with pytest.raises(MatchingError, match="paused"):
        group_facilitator_change(run=two_groups, group=a, facilitator=paused.profile, by=director)
    fresh = senior(program_mentor(program))
    group_facilitator_change(run=two_groups, group=a, facilitator=fresh.profile, by=director)
    assert {s.mentor_id for s in groups_of(two_groups)[a]} == {fresh.profile.pk}
    assert proposal_conflicts(two_groups) == []


def test_a_member_of_one_group_cannot_facilitate_another(program, director, two_groups):
    from programs.models import Membership, Role

    groups = groups_of(two_groups)
    a, b = list(groups)
    member = groups[b][0].mentee
    member.year_joined_faculty = 1960
    member.save(update_fields=["year_joined_faculty"])
    Membership.objects.filter(program=program, person=member).update(role=Role.BOTH)
    with pytest.raises(MatchingError, match="member of another group in this proposal"):
        group_facilitator_change(run=two_groups, group=a, facilitator=member, by=director)


def test_group_edits_are_for_group_proposals_only(program, director, ready_mentee, ready_mentor):
    proposal = run(program, director, RunMode.ONE_TO_ONE)
    suggestion = proposal.suggestions.get()
    with pytest.raises(MatchingError, match="group proposal"):
        group_member_move(suggestion=suggestion, group=1, by=director)
    with pytest.raises(MatchingError, match="Only facilitated groups"):
        group_facilitator_change(
            run=proposal, group=1, facilitator=ready_mentor.profile, by=director
        )


def test_groups_of_the_proposal_are_listed_with_their_facilitator(two_groups):
    listed = proposal_groups(list(run_suggestions(two_groups)))
    assert [g.number for g in listed] == sorted(groups_of(two_groups))
    assert all(g.facilitator is not None for g in listed)


def test_peer_pairs_above_the_exact_limit_use_the_scalable_method(program, director, monkeypatch):
    for _ in range(6):
        program_mentee(program)
    monkeypatch.setattr(runs, "PEER_PAIRING_LIMIT", 4)
    proposal = run(program, director, RunMode.PEER)
    assert proposal.summary["matched"] == 6
    assert proposal.summary["proven_optimal"] is False
    assert proposal.summary["scaled"] == runs.PEER_NEIGHBOURS


def test_peer_pairs_leave_out_a_paused_peer_and_one_already_paired(program, director):
    peers = [program_mentee(program) for _ in range(5)]
    MentorOffer.objects.create(
        person=peers[0].profile,
        accepting=False,
        paused_until=timezone.localdate() + timedelta(days=30),
    )
    first = run(program, director, RunMode.PEER)
    paired = {p for s in first.suggestions.all() for p in (s.mentee_id, s.mentor_id)}
    assert peers[0].profile.pk not in paired
    assert len(paired) == 4
    match_run_publish(run=first, by=director)
    again = run(program, director, RunMode.PEER)
    assert again.summary["already_matched"] == 4
    assert not again.suggestions.exists()


def test_mosaic_reasons_and_the_pin_warning_are_in_words(program, director, ready_mentee):
    from matching.models import PairRule, PairRuleKind
    from programs.models import NeedArea
    from tests.matching.conftest import offer

    research, promotion = NeedArea.objects.filter(slug__in=["research", "promotion"]).order_by(
        "slug"
    )
    offer(program_mentor(program), areas=("research",))
    board = match_run_start(
        program=program, mode=RunMode.MOSAIC, areas=[research, promotion], by=director
    )
    match_run_execute(run_id=board.pk)
    board.refresh_from_db()
    (row,) = board.summary["unmatched"]
    assert row["name"] == ready_mentee.profile.display_name
    assert row["reason"] == "Promotion: no mentor in the program may be paired with them"

    full = program_mentor(program, capacity=1)
    offer(full)
    other = program_mentee(program, given_name="Olga", family_name="Other")
    PairRule.objects.create(
        program=program, mentee=ready_mentee.profile, mentor=full.profile, kind="pin"
    )
    PairRule.objects.create(
        program=program, mentee=other.profile, mentor=full.profile, kind=PairRuleKind.PIN
    )
    pinned = run(program, director, RunMode.ONE_TO_ONE)
    warning = next(w for w in pinned.summary["warnings"] if "pinned pair" in w)
    names = (ready_mentee.profile.display_name, other.profile.display_name)
    assert any(n in warning for n in names)
    assert full.profile.display_name in warning
    assert str(full.profile.pk) not in warning.replace(full.profile.display_name, "")
