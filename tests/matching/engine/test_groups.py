"""matching.engine.groups: group formation, its upper bound, seniority, peer pairs at scale."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from matching.engine import groups as groups_module
from matching.engine.groups import (
    NOT_SENIOR_ENOUGH,
    form_groups,
    grouping_upper_bound,
    is_senior,
    pair_peers_at_scale,
    peer_affinity,
    seniority,
)
from matching.engine.solvers import NO_COMPATIBLE_GROUP, pair_peers


def random_scores(n, seed=0, density=1.0):
    rng = np.random.default_rng(seed)
    scores = rng.uniform(10, 90, (n, n))
    eligible = rng.random((n, n)) < density
    eligible = eligible & eligible.T
    np.fill_diagonal(eligible, False)
    return scores, eligible


def exact_best(scores, eligible, low=3, high=5):
    """Brute force over every grouping of a tiny cohort (for checking the heuristic)."""
    affinity, compatible = peer_affinity(scores, eligible)
    n = len(scores)

    def value(group):
        return affinity[np.ix_(group, group)].sum() / (len(group) - 1)

    def ok(group):
        return all(compatible[a, b] for a, b in itertools.combinations(group, 2))

    best = {(): 0.0}

    def solve(rest):
        if rest in best:
            return best[rest]
        first, others = rest[0], rest[1:]
        result = solve(others)  # first stays out
        for k in range(low - 1, high):
            for mates in itertools.combinations(others, k):
                group = (first, *mates)
                if ok(group):
                    left = tuple(p for p in others if p not in mates)
                    result = max(result, value(list(group)) + solve(left))
        best[rest] = result
        return result

    return solve(tuple(range(n)))


def test_groups_respect_sizes_and_compatibility_and_score_their_members():
    scores, eligible = random_scores(23, seed=1, density=0.8)
    result = form_groups(scores, eligible)
    affinity, compatible = peer_affinity(scores, eligible)
    placed = [i for g in result.groups for i in g]
    assert len(placed) == len(set(placed))
    for group, score in zip(result.groups, result.scores, strict=True):
        assert 3 <= len(group) <= 5
        assert all(compatible[a, b] for a, b in itertools.combinations(group, 2))
        pairs = [affinity[a, b] for a, b in itertools.combinations(group, 2)]
        assert score == pytest.approx(np.mean(pairs))
    assert result.objective == pytest.approx(sum(result.fits.values()))
    assert set(placed) | set(result.leftovers) == set(range(23))


def test_the_same_input_gives_the_same_groups():
    scores, eligible = random_scores(17, seed=4)
    assert form_groups(scores, eligible).groups == form_groups(scores, eligible).groups


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_heuristic_is_close_to_the_optimum_and_below_the_bound(seed):
    scores, eligible = random_scores(11, seed=seed, density=0.85)
    ours = form_groups(scores, eligible).objective
    best = exact_best(scores, eligible)
    bound = grouping_upper_bound(*peer_affinity(scores, eligible)).value
    assert ours <= best + 1e-6
    assert best <= bound + 1e-6
    assert ours >= 0.97 * best


def test_restarting_from_the_recombined_grouping_never_loses_ground(monkeypatch):
    scores, eligible = random_scores(60, seed=3, density=0.9)
    restarted = form_groups(scores, eligible, rounds=20)
    monkeypatch.setattr(groups_module, "RESTARTS", 1)
    once = form_groups(scores, eligible, rounds=20)
    assert restarted.objective >= once.objective - 1e-9
    placed = [p for g in restarted.groups for p in g]
    assert len(placed) == len(set(placed))
    assert all(3 <= len(g) <= 5 for g in restarted.groups)


def test_someone_nobody_may_join_is_a_leftover_with_the_reason():
    scores, eligible = random_scores(7, seed=3)
    eligible[0, :] = eligible[:, 0] = False
    result = form_groups(scores, eligible)
    assert result.leftovers[0] == NO_COMPATIBLE_GROUP
    assert 0 not in {i for g in result.groups for i in g}


def test_facilitators_are_senior_to_every_member_and_never_members_themselves():
    scores, eligible = random_scores(9, seed=5)
    member_years = np.array([3, 4, 5, 3, 4, 5, 3, 4, 20])
    facilitator_years = np.array([10, 30, 20])  # facilitator 2 is mentee 8 as well
    senior = seniority(
        np.full(9, -1), member_years, np.full(3, -1), facilitator_years, rank_gap=1, years_gap=8
    )
    result = form_groups(
        scores,
        eligible,
        facilitator_scores=np.full((9, 3), 50.0),
        facilitator_eligible=np.ones((9, 3), bool),
        facilitator_capacity=[3, 3, 3],
        senior=senior,
        facilitator_member=[-1, -1, 8],
    )
    for group, facilitator in zip(result.groups, result.facilitators, strict=True):
        if facilitator >= 0:
            assert senior[group, facilitator].all()
            assert facilitator != 2 or 8 not in {i for g in result.groups for i in g}
    # Mentee 8 (20 years) is senior to nobody's standard for facilitator 0 (10 years).
    group_of_8 = next((k for k, g in enumerate(result.groups) if 8 in g), None)
    if group_of_8 is not None:
        assert result.facilitators[group_of_8] != 0


def test_a_group_without_a_senior_facilitator_says_so():
    scores, eligible = random_scores(3, seed=6)
    senior = np.zeros((3, 1), bool)
    result = form_groups(
        scores,
        eligible,
        facilitator_scores=np.full((3, 1), 50.0),
        facilitator_eligible=np.ones((3, 1), bool),
        facilitator_capacity=[1],
        senior=senior,
    )
    assert result.facilitators == [-1]
    assert result.unfacilitated == {0: NOT_SENIOR_ENOUGH}


def test_seniority_by_rank_or_by_years():
    assert is_senior(1, 5, 2, 5, rank_gap=1, years_gap=8)
    assert not is_senior(2, 5, 2, 10, rank_gap=1, years_gap=8)
    assert is_senior(2, 5, 2, 13, rank_gap=1, years_gap=8)
    assert not is_senior(1, 5, 2, 5, rank_gap=2, years_gap=8)
    assert is_senior(None, None, 3, 30, rank_gap=1, years_gap=8)  # nothing to compare


def test_the_bound_is_exact_when_the_lp_is_integral():
    # Two obvious triangles with strong ties inside and none across.
    scores = np.full((6, 6), 1.0)
    for group in ((0, 1, 2), (3, 4, 5)):
        for a, b in itertools.permutations(group, 2):
            scores[a, b] = 90.0
    eligible = ~np.eye(6, dtype=bool)
    ours = form_groups(scores, eligible)
    bound = grouping_upper_bound(*peer_affinity(scores, eligible))
    assert sorted(ours.groups) == [[0, 1, 2], [3, 4, 5]]
    assert bound.value == pytest.approx(ours.objective, rel=1e-6)
    assert bound.converged


def test_peer_pairs_at_scale_match_the_exact_pairing_when_every_partner_is_kept():
    scores, eligible = random_scores(30, seed=7, density=0.7)
    exact = pair_peers(scores, eligible)
    scaled = pair_peers_at_scale(scores, eligible, neighbours=29)
    assert scaled.total == pytest.approx(exact.total)
    few = pair_peers_at_scale(scores, eligible, neighbours=6)
    assert few.total >= 0.97 * exact.total
    assert all(eligible[a, b] and eligible[b, a] for a, b in few.pairs)


def test_peer_pairs_at_scale_handle_tiny_and_lonely_cohorts():
    assert pair_peers_at_scale(np.zeros((0, 0)), np.zeros((0, 0), bool)).pairs == []
    lonely = pair_peers_at_scale(np.full((3, 3), 40.0), np.zeros((3, 3), bool))
    assert lonely.pairs == []
    assert set(lonely.unpaired.values()) == {"no_eligible_peer"}
