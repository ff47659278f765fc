"""The exact solvers stay exact on the instance shapes that break naive auctions (issue 12).

Every instance here is hostile on purpose: heavy ties, scores that depend only on the mentor (so
every mentee ranks mentors alike), additive scores, all scores equal, far more places than
mentees or far fewer, sparse eligibility, and a few "star" mentors everyone wants. The
reference is ``scipy.optimize.linear_sum_assignment`` on the capacity-expanded matrix (see
``test_solvers.reference_assignment``), on the same quantised scores.
"""

import copy
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.engine import common, solvers
from matching.engine.features import board_areas, synthetic_problem
from matching.engine.scoring import CRITERIA, score_mosaic, score_pairs
from matching.engine.solvers import assign_mosaic, assign_with_capacities, quantise
from tests.matching.engine.test_solvers import (
    FAST,
    _check_assignment,
    reference_assignment,
    reference_mosaic,
)

SHAPES = ("coarse", "mentor_only", "mentee_only", "additive", "all_equal", "stars", "random")


def hostile_scores(rng: np.random.Generator, shape: str, n: int, m: int) -> np.ndarray:
    if shape == "coarse":
        return rng.integers(0, 3, (n, m)).astype(np.float32) * 50.0
    if shape == "mentor_only":
        return np.broadcast_to(rng.integers(0, 4, m) * 25.0, (n, m)).astype(np.float32)
    if shape == "mentee_only":
        return np.broadcast_to(rng.integers(0, 4, (n, 1)) * 25.0, (n, m)).astype(np.float32)
    if shape == "additive":
        noise = rng.integers(0, 3, (n, m)) * 0.001
        return (rng.uniform(0, 40, (n, 1)) + rng.uniform(0, 40, m) + noise).astype(np.float32)
    if shape == "all_equal":
        return np.full((n, m), 50.0, np.float32)
    if shape == "stars":
        scores = rng.uniform(0, 50, (n, m))
        scores[:, : max(1, m // 4)] += 50
        return scores.astype(np.float32)
    return rng.uniform(0, 100, (n, m)).astype(np.float32)


def hostile_instance(
    seed: int, shape: str, n: int, m: int, *, density: float, cap_high: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores of the given shape, each pair eligible with probability `density`, and from 1 to
    `cap_high - 1` places per mentor; the same seed gives the same instance."""
    rng = np.random.default_rng(seed)
    scores = hostile_scores(rng, shape, n, m)
    eligible = rng.random((n, m)) < density
    return scores, eligible, rng.integers(1, cap_high, m)


@st.composite
def hostile_problems(draw, max_mentees=12, max_mentors=6):
    n = draw(st.integers(1, max_mentees))
    m = draw(st.integers(1, max_mentors))
    shape = draw(st.sampled_from(SHAPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    scores = hostile_scores(rng, shape, n, m)
    density = draw(st.sampled_from([0.1, 0.3, 0.7, 1.0]))
    eligible = rng.random((n, m)) < density
    # From far fewer places than mentees to far more.
    caps = rng.integers(0, draw(st.sampled_from([1, 2, 4, 8])) + 1, m)
    return np.ascontiguousarray(scores), eligible, caps


@FAST
@given(hostile_problems())
def test_hostile_assignments_match_the_reference(problem):
    scores, eligible, caps = problem
    result = assign_with_capacities(scores, eligible, caps)
    _check_assignment(result, eligible, caps)
    assert result.total_units == reference_assignment(scores, eligible, caps)[0]


@FAST
@given(hostile_problems(max_mentees=6, max_mentors=5), st.integers(1, 3))
def test_hostile_mosaic_boards_match_the_reference(problem, seats):
    scores, eligible, caps = problem
    n, m = scores.shape
    rng = np.random.default_rng(n * 31 + m)
    area_scores = np.stack([scores] * seats, axis=1) + rng.integers(0, 2, (n, seats, m)) * 10.0
    areas = np.tile(np.arange(seats), (n, 1))
    result = assign_mosaic(area_scores, eligible, caps, areas)
    assert result.proven_optimal
    full = np.broadcast_to(eligible[:, None, :], area_scores.shape)
    assert result.total_units == reference_mosaic(area_scores, full, caps, areas)[0]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("places_per_mentee", [0.3, 1.0, 5.0])
def test_larger_hostile_instances_match_the_reference(shape, places_per_mentee):
    rng = np.random.default_rng(12)
    n, m = 120, 30
    scores = hostile_scores(rng, shape, n, m)
    eligible = rng.random((n, m)) < 0.6
    caps = np.maximum(rng.multinomial(round(places_per_mentee * n), np.ones(m) / m), 0)
    result = assign_with_capacities(scores, eligible, caps)
    _check_assignment(result, eligible, caps)
    assert result.total_units == reference_assignment(scores, eligible, caps)[0]


@pytest.mark.parametrize("criterion", CRITERIA)
def test_each_criterion_alone_is_solved_exactly(criterion):
    features = synthetic_problem(150, 40, seed=5)
    weights = {c: (1.0 if c == criterion else 0.0) for c in CRITERIA}
    scored = score_pairs(features, weights)
    caps = features.mentor_capacity
    result = assign_with_capacities(scored.scores, scored.eligible, caps)
    _check_assignment(result, scored.eligible, caps)
    assert result.total_units == reference_assignment(scored.scores, scored.eligible, caps)[0]


def test_mosaic_with_mentor_only_criteria_is_exact():
    features = synthetic_problem(60, 20, seed=9)
    areas = board_areas(features, seats=3, fill=True)
    weights = {c: (1.0 if c in ("career_stage", "experience") else 0.0) for c in CRITERIA}
    scores, eligible = score_mosaic(features, areas, weights)
    caps = features.mentor_capacity
    result = assign_mosaic(scores, eligible, caps, areas)
    assert result.proven_optimal
    assert result.total_units == reference_mosaic(scores, eligible, caps, areas)[0]


def test_progress_is_reported_from_inside_the_solve():
    features = synthetic_problem(200, 40, seed=2)
    scored = score_pairs(features)
    steps = []
    result = assign_with_capacities(
        scored.scores,
        scored.eligible,
        features.mentor_capacity,
        on_progress=lambda fraction, message: steps.append((fraction, message)),
    )
    assert result.proven_optimal
    assert not result.timed_out
    fractions = [f for f, _ in steps]
    assert len(steps) >= 3
    assert fractions == sorted(fractions)
    assert all(0 < f < 1 for f in fractions)
    assert any("no better assignment" in message for _, message in steps)


def test_a_time_limit_returns_the_best_so_far_unproven():
    features = synthetic_problem(200, 40, seed=2)
    scored = score_pairs(features)
    caps = features.mentor_capacity
    result = assign_with_capacities(scored.scores, scored.eligible, caps, time_limit=0)
    assert result.timed_out
    assert not result.proven_optimal
    assert len(result.mentee) > 0
    assert (np.bincount(result.mentor, minlength=len(caps)) <= caps).all()
    assert scored.eligible[result.mentee, result.mentor].all()
    assert len(np.unique(result.mentee)) == len(result.mentee)
    best = assign_with_capacities(scored.scores, scored.eligible, caps)
    assert result.total_units <= best.total_units


@pytest.mark.parametrize("path_budget", [solvers._SEAT_AUCTION_PATH_BUDGET, 0])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seats", [1, 3])
def test_plentiful_places_skip_the_auction_and_stay_exact(seats, shape, path_budget):
    # Five places per seat: no auction among mentors' places. One seat per mentee starts
    # from each seat's best mentors; boards start from seats bidding for places, and their
    # repairs go by cheapest paths within a budget (or, with none, to the re-solve).
    rng = np.random.default_rng(seats)
    n, m = 50, 12
    scores = hostile_scores(rng, shape, n, m)
    eligible = rng.random((n, m)) < 0.8
    caps = np.full(m, 5 * n * seats // m + 1)
    area_scores = np.stack([scores] * seats, axis=1) + rng.integers(0, 2, (n, seats, m)) * 10.0
    areas = np.tile(np.arange(seats), (n, 1))
    with (
        patch.object(solvers, "_auction", side_effect=AssertionError("auction ran")),
        patch.object(solvers, "_seat_auction", wraps=solvers._seat_auction) as seat_auction,
        patch.object(solvers, "_SEAT_AUCTION_PATH_BUDGET", path_budget),
    ):
        result = assign_mosaic(area_scores, eligible, caps, areas)
    assert seat_auction.called == (seats > 1)
    assert result.proven_optimal
    full = np.broadcast_to(eligible[:, None, :], area_scores.shape)
    assert result.total_units == reference_mosaic(area_scores, full, caps, areas)[0]


@FAST
@given(st.integers(0, 2**16), st.integers(1, 6))
def test_seats_bidding_for_places_never_overfill_a_mentor(seed, k):
    # Whatever the lists: a seat holds a mentor of its list, no mentor holds more seats than
    # places, and a mentor's price is 0 unless it is full.
    rng = np.random.default_rng(seed)
    n_seats, m = int(rng.integers(1, 40)), int(rng.integers(1, 8))
    caps = rng.integers(0, 4, m)
    found = rng.integers(0, min(k, m) + 1, n_seats)
    mentors = np.full((n_seats, k), -1, np.int64)
    keys = np.full((n_seats, k), -(np.int64(1) << 62), np.int64)
    for r in range(n_seats):
        mentors[r, : found[r]] = rng.choice(np.flatnonzero(caps >= 0), found[r], replace=False)
        keys[r, : found[r]] = np.sort(rng.integers(-2, 4, found[r]) * 1000)[::-1]
    price, owner = solvers._seat_auction(caps, keys, mentors, found)
    seated = np.flatnonzero(owner >= 0)
    for r in seated:
        assert owner[r] in mentors[r, : found[r]]
    load = np.bincount(owner[seated], minlength=m)
    assert (load <= caps).all()
    assert (price[load < caps] == 0).all()


def test_seats_outnumbering_their_few_mentors_stop_bidding():
    # Three seats whose only mentors have two places between them, worth a "matched first"
    # bonus: bid by bid (a unit each) they would run the prices up to the bonus.
    keys = np.full((3, 4), -(np.int64(1) << 62), np.int64)
    keys[:, :2] = 10**15
    mentors = np.full((3, 4), -1, np.int64)
    mentors[:, :2] = [0, 1]
    price, owner = solvers._seat_auction(np.array([1, 1]), keys, mentors, np.full(3, 2))
    assert sorted(owner.tolist()) == [-1, 0, 1]
    assert price.max() < 10**6


def test_a_matched_first_board_with_scarce_eligible_mentors_is_exact():
    # Places plentiful overall, but three mentees may only take two one-place mentors.
    rng = np.random.default_rng(4)
    n, seats, m = 12, 2, 8
    area_scores = rng.integers(0, 4, (n, seats, m)) * 25.0
    eligible = np.ones((n, seats, m), bool)
    eligible[:3, :, 2:] = False
    eligible[3:, :, :2] = False
    caps = np.array([1, 1] + [6] * (m - 2))
    areas = np.tile(np.arange(seats), (n, 1))
    result = assign_mosaic(area_scores, eligible, caps, areas, maximise_matched_first=True)
    assert result.proven_optimal
    bonus = int(quantise(area_scores).max()) * n * seats + 1
    best, count = reference_mosaic(area_scores, eligible, caps, areas, bonus)
    assert len(result.mentee) == count
    assert result.total_units + bonus * count == best


@pytest.mark.parametrize("shape", ["mentor_only", "additive", "all_equal", "random"])
def test_auction_lists_rescanned_together_still_hold_every_better_seat(shape):
    # Mentors whose lists go stale are rescanned together, several rows at once and a few
    # bids early; at the end each mentor's list must still hold its best seats at the final
    # prices (the pruned network keeps only those): no seat off a list beats the list's best.
    rng = np.random.default_rng(11)
    n, seats, m = 240, 3, 90
    scores = np.stack([hostile_scores(rng, shape, n, m) for _ in range(seats)], axis=1)
    eligible = rng.random((n, seats, m)) < 0.8
    caps = rng.integers(1, 6, m)
    values, q_max = solvers._mentor_major(scores, eligible, np.ones((n, seats), bool), caps > 0)
    scale = solvers._PRICE_SCALE
    price, _owner, lists, list_len = solvers._auction(
        values, caps, 0, q_max * scale, solvers._AUCTION_LIST_EXTRA, scale
    )
    worth = values.reshape(m, n * seats).astype(np.int64) * scale - price
    worth[values.reshape(m, n * seats) == solvers._MISSING] = np.iinfo(np.int64).min
    for j in range(m):
        listed = lists[j, : list_len[j]]
        off = np.delete(worth[j], listed)
        if len(listed) and len(off):
            assert off.max() <= worth[j, listed].max()


def test_the_stale_lists_ahead_in_the_queue_are_gathered_once_each():
    m, k, scale = 6, 2, 1
    price = np.zeros(10, np.int64)
    lists = np.zeros((m, k), np.int64)
    list_value = np.full((m, k), 5, np.int32)
    list_len = np.full(m, k, np.int64)
    bound = np.full(m, 3, np.int64)  # every list's best (5) beats its bound: all fresh
    bound[[2, 4]] = 9  # ... but these two
    bidding = (price, np.full(10, -1), lists, list_value, list_len, bound, np.zeros(1))
    queue = np.array([0, 2, 2, 4, 1, 5, 0, 0], np.int64)  # a ring: head 1, 4 places waiting
    batch = np.empty(solvers._SCAN_AHEAD + 1, np.int64)
    mark = np.zeros(m, np.int64)
    count = solvers._stale_ahead(queue, 1, 4, 0, bidding, scale, batch, mark, 1)
    assert batch[:count].tolist() == [0, 2, 4]  # the bidder first, then each stale one once
    # Mentor 5 is past the places waiting and is not looked at.
    bound[5] = 9
    count = solvers._stale_ahead(queue, 1, 4, 0, bidding, scale, batch, mark, 2)
    assert batch[:count].tolist() == [0, 2, 4]


def _mosaic_network(features, areas, weights=None):
    """The pruned network the mosaic solver starts its repair from, and its values."""
    scores, eligible = score_mosaic(features, areas, weights)
    caps = features.mentor_capacity.astype(np.int64)
    values, q_max = solvers._mentor_major(scores, eligible, areas >= 0, caps > 0)
    top = q_max * solvers._PRICE_SCALE
    price, owner, lists, list_len = solvers._auction(
        values, caps, 0, top, solvers._AUCTION_LIST_EXTRA, solvers._PRICE_SCALE
    )
    price = price // solvers._PRICE_SCALE
    network = solvers._SeatNetwork.from_auction(values, caps, 0, price, owner, lists, list_len)
    return network, owner


def _residual_reduced_costs(flow):
    rc = flow.cost + flow.pot[flow.tails] - flow.pot[flow.heads]
    forward = flow.flow < flow.capacity
    backward = flow.flow > 0
    return rc[forward], rc[backward]


@pytest.mark.parametrize("weights", [None, {"career_stage": 1.0, "experience": 1.0}])
def test_the_mosaic_network_keeps_the_auctions_boards(weights):
    # A mentor's other seats on a board it sits on are no rivals of its other boards: the
    # network must keep the auction's seats (it once dropped nearly all of them).
    features = synthetic_problem(400, 80, seed=3)
    areas = board_areas(features, seats=3, fill=True)
    if weights is not None:
        weights = {c: weights.get(c, 0.0) for c in CRITERIA}
    network, owner = _mosaic_network(features, areas, weights)
    seat_flat, _mentor = network.filled_seats()
    assert len(seat_flat) >= 0.95 * (owner >= 0).sum()
    assert (network.flow.excess[: network.m] == 0).all()  # no mentor loses a place
    forward, backward = _residual_reduced_costs(network.flow)
    assert (forward >= 0).all()
    assert (backward <= 0).all()


def test_mosaic_potentials_after_a_whole_re_solve_prove_the_flow():
    features = synthetic_problem(300, 60, seed=4)
    areas = board_areas(features, seats=3, fill=True)
    network, _owner = _mosaic_network(features, areas)
    network.flow.solve_ortools()
    assert network.flow.raise_potentials
    forward, backward = _residual_reduced_costs(network.flow)
    assert (forward >= 0).all()
    assert (backward <= 0).all()


def _random_arcs(rng: np.random.Generator, *, nodes: int, arcs: int):
    """Up to ``nodes`` nodes and ``arcs`` arcs (no loops, parallel arcs allowed), capacities
    1-3: ``(n_nodes, tails, heads, capacity)``."""
    n_nodes = int(rng.integers(2, nodes))
    n_arcs = int(rng.integers(1, arcs))
    tails = rng.integers(0, n_nodes, n_arcs)
    heads = (tails + rng.integers(1, n_nodes, n_arcs)) % n_nodes
    return n_nodes, tails, heads, rng.integers(1, 4, n_arcs)


@FAST
@given(st.integers(0, 2**16), st.booleans())
def test_a_re_solve_from_a_part_routed_flow_is_the_whole_optimum(seed, valid_start):
    # OR-Tools is handed only what is left (the residual network at reduced costs, the
    # excess as supplies); added to the flow already there, that must be an optimum of the
    # whole network, within every capacity, proven by the potentials: from potentials that
    # were valid for the starting flow or from ones that were not.
    rng = np.random.default_rng(seed)
    n_nodes, tails, heads, capacity = _random_arcs(rng, nodes=12, arcs=40)
    cost = rng.integers(-50, 51, len(tails))
    wanted = rng.integers(0, capacity + 1)  # some flow, so that the supplies can be met
    supply = np.zeros(n_nodes, np.int64)
    solvers.move_flow(supply, heads, tails, wanted)
    start = rng.integers(0, capacity + 1)
    network = solvers._FlowNetwork.with_flow(
        n_nodes, tails, heads, capacity, cost, start, np.zeros(n_nodes, np.int64), supply
    )
    if valid_start:
        # Valid for the starting flow unless that flow holds a negative cycle.
        network._fit_potentials(network.pot)
    network.solve_ortools()

    reference = solvers.min_cost_flow.SimpleMinCostFlow()
    reference.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacity, cost
    )
    reference.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supply)
    assert reference.solve() == reference.OPTIMAL
    assert int((network.flow * cost).sum()) == reference.optimal_cost()
    assert ((network.flow >= 0) & (network.flow <= capacity)).all()
    routed = np.zeros(n_nodes, np.int64)
    solvers.move_flow(routed, heads, tails, network.flow)
    assert (routed == supply).all()
    assert (network.excess == 0).all()
    forward, backward = _residual_reduced_costs(network)
    assert (forward >= 0).all()
    assert (backward <= 0).all()


@FAST
@given(st.integers(0, 2**16))
def test_potentials_raised_in_order_of_their_fall_are_the_same_lowest_valid_ones(seed):
    # The ordered fit (mosaic networks) takes nodes furthest fallen first instead of first in,
    # first out; from the same start it must reach the same potentials, and they must prove
    # the optimal flow.
    rng = np.random.default_rng(seed)
    n_nodes, tails, heads, capacity = _random_arcs(rng, nodes=14, arcs=50)
    cost = rng.integers(-40, 41, len(tails))
    solver = solvers.min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacity, cost
    )
    wanted = rng.integers(0, capacity + 1)
    supply = np.zeros(n_nodes, np.int64)
    solvers.move_flow(supply, heads, tails, wanted)
    solver.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supply)
    assert solver.solve() == solver.OPTIMAL
    flow = solver.flows(np.arange(len(tails), dtype=np.int64)).astype(np.int64)
    start = rng.integers(-200, 200, n_nodes)
    fifo, ordered = start.copy(), start.copy()
    arcs = (n_nodes, tails, heads, capacity, flow, cost)
    assert common.raise_potentials(*arcs, fifo, n_nodes)
    assert common.raise_potentials(*arcs, ordered, n_nodes, ordered=True)
    assert (ordered == fifo).all()
    assert (ordered >= start).all()
    reduced = cost + ordered[tails] - ordered[heads]
    assert (reduced[flow < capacity] >= 0).all()
    assert (reduced[flow > 0] <= 0).all()


def test_a_spent_path_budget_runs_on_only_when_its_pace_finishes_within_twice_the_budget():
    # OR-Tools re-solves the whole network whatever is left; past its budget the
    # cheapest-path repair goes on only while, at the pace of its last rounds (work per unit
    # routed), what is left ends within twice the budget.
    budget = 1000
    pace = solvers._PACE_ROUNDS

    def history(work_per_round: int, units_per_round: int, left: int, rounds: int = 8):
        return [
            (r * work_per_round, left + (rounds - 1 - r) * units_per_round) for r in range(rounds)
        ]

    # 1,050 spent at 150 a round routing 50 units: the 30 left take 90 more.
    assert solvers._finishes_soon(history(150, 50, 30), budget)
    # 1,120 spent at 160 a round routing 300: the 1,546 left take about 825 more.
    assert solvers._finishes_soon(history(160, 300, 1546), budget)
    # At that pace 4,000 left would take about 2,130 more: past twice the budget.
    assert not solvers._finishes_soon(history(160, 300, 4000), budget)
    assert not solvers._finishes_soon(history(150, 0, 5), budget)  # no progress
    assert not solvers._finishes_soon(history(150, 50, 30)[:pace], budget)  # too few rounds
    assert not solvers._finishes_soon(history(300, 50, 1, rounds=8), budget)  # 2,100 spent


def _tied_network(seed: int):
    """A random network whose costs are nearly all tied (0, 1 or 2), no flow yet and zero
    potentials (valid: every cost is non-negative), with supplies some flow can meet; and
    OR-Tools' optimum for it."""
    rng = np.random.default_rng(seed)
    n_nodes, tails, heads, capacity = _random_arcs(rng, nodes=16, arcs=60)
    n_arcs = len(tails)
    cost = rng.choice([0, 0, 0, 1, 2], n_arcs)
    supply = np.zeros(n_nodes, np.int64)
    solvers.move_flow(supply, heads, tails, rng.integers(0, capacity + 1))
    network = solvers._FlowNetwork.with_flow(
        n_nodes,
        tails,
        heads,
        capacity,
        cost,
        np.zeros(n_arcs, np.int64),
        np.zeros(n_nodes, np.int64),
        supply,
    )
    network.search_spread = int(rng.integers(1, 4))
    reference = solvers.min_cost_flow.SimpleMinCostFlow()
    reference.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacity, cost
    )
    reference.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supply)
    assert reference.solve() == reference.OPTIMAL
    return network, supply, reference.optimal_cost()


def _check_proven_optimum(network, supply, optimum):
    assert int((network.flow * network.cost).sum()) == optimum
    assert ((network.flow >= 0) & (network.flow <= network.capacity)).all()
    routed = np.zeros(network.n_nodes, np.int64)
    solvers.move_flow(routed, network.heads, network.tails, network.flow)
    assert (routed == supply).all()
    assert (network.excess == 0).all()
    forward, backward = _residual_reduced_costs(network)
    assert (forward >= 0).all()
    assert (backward <= 0).all()


@FAST
@given(st.integers(0, 2**16))
def test_cheapest_paths_over_plateaus_of_ties_reach_the_optimum(seed):
    # Each round pushes what a depth-first pass finds, then a maximum flow over the arcs that
    # cost nothing routes the rest of what the round can (tried here whatever is left): the
    # result must be the optimum, proven by the potentials.
    network, supply, optimum = _tied_network(seed)
    with patch.object(solvers, "_PLATEAU_UNITS", 1):
        assert network.solve_ssp()
    _check_proven_optimum(network, supply, optimum)


@FAST
@given(st.integers(0, 2**16), st.booleans(), st.booleans())
def test_cheapest_paths_out_of_budget_leave_a_flow_the_re_solve_finishes(seed, by_rounds, raised):
    # Out of budget after its first round (its work, or too much left after a number of
    # rounds), the repair keeps what it routed (within every capacity, with potentials valid
    # for it, or those from before it where they are to be raised); OR-Tools then routes the
    # rest to the optimum.
    network, supply, optimum = _tied_network(seed)
    network.raise_potentials = raised
    before = network.pot.copy()
    network.path_check_rounds = 1
    twin = copy.deepcopy(network)
    with (
        patch.object(solvers, "_PATH_CHECK_SHARE", 0.0),
        patch.object(solvers, "_PATH_CHECK_UNITS", 0),
    ):
        routed = network.solve_ssp(budget=10**9 if by_rounds else 0)
    # Either way it stops where one round's work already overdraws a budget of nothing.
    assert routed == twin.solve_ssp(budget=0)
    if routed:
        _check_proven_optimum(network, supply, optimum)
        return
    assert network.excess.max() > 0
    assert ((network.flow >= 0) & (network.flow <= network.capacity)).all()
    routed = np.zeros(network.n_nodes, np.int64)
    solvers.move_flow(routed, network.heads, network.tails, network.flow)
    assert (routed + network.excess == supply).all()
    if raised:
        assert (network.pot == before).all()
    else:
        forward, backward = _residual_reduced_costs(network)
        assert (forward >= 0).all()
        assert (backward <= 0).all()
    network.solve_ortools()
    _check_proven_optimum(network, supply, optimum)


def test_a_plateau_the_first_pass_blocks_is_routed_in_the_same_round():
    # Sources 0 and 1 both reach node 2 at no cost; the first pass sends 0's unit through 2
    # to demand 4 and leaves 1 stuck. The maximum flow reroutes 0 via 3 to demand 5 in the
    # same round instead of searching the whole network again.
    tails = np.array([0, 0, 1, 2, 3])
    heads = np.array([2, 3, 2, 4, 5])
    supply = np.array([1, 1, 0, 0, -1, -1])
    network = solvers._FlowNetwork.with_flow(
        6, tails, heads, np.ones(5), np.zeros(5), np.zeros(5), np.zeros(6), supply
    )
    rounds = []
    real_round = solvers._path_round
    with (
        patch.object(solvers, "_PLATEAU_UNITS", 1),
        patch.object(
            solvers, "_path_round", side_effect=lambda *a: rounds.append(1) or real_round(*a)
        ),
    ):
        assert network.solve_ssp()
    assert len(rounds) == 1
    _check_proven_optimum(network, supply, 0)


@pytest.mark.parametrize("spread", [1, 2, 8])
@pytest.mark.parametrize("seed", [4, 5])
def test_cheapest_paths_reaching_past_the_nearest_demand_stay_optimal(spread, seed):
    # Searches that settle past the first node with demand route its excess in fewer rounds;
    # the flow must stay optimal, proven by the potentials, whatever the spread.
    features = synthetic_problem(300, 60, seed=seed)
    areas = board_areas(features, seats=3, fill=True)
    network, _owner = _mosaic_network(features, areas)
    reference, _owner = _mosaic_network(features, areas)
    assert network.flow.excess.max() > 0  # something is left to route
    network.flow.search_spread = spread
    network.flow.solve_ssp()
    reference.flow.solve_ortools()
    assert (network.flow.excess == 0).all()
    cost = int((network.flow.cost * network.flow.flow).sum())
    assert cost == int((reference.flow.cost * reference.flow.flow).sum())
    forward, backward = _residual_reduced_costs(network.flow)
    assert (forward >= 0).all()
    assert (backward <= 0).all()


@pytest.mark.parametrize("seed", range(6))
def test_a_row_scan_keeps_the_best_seats_first_come_among_equals(seed):
    # The scan skips blocks that cannot enter the list, by their best scores, by how far the
    # mentor's scores stand above the seats' common ones, and by what it saw there at its last
    # scan; the list and the bound must be those of a plain sort (value down, then the
    # mentor's own order of seats: from its first block round to the one before), ties and
    # missing pairs included, as prices rise within a phase and fall between phases.
    rng = np.random.default_rng(seed)
    m, n, seats, k = 5, int(rng.integers(1, 120)), 3, int(rng.integers(1, 20))
    scale = solvers._PRICE_SCALE
    values = (rng.integers(0, 4, (m, n, seats)) * 25_000).astype(np.int32)
    values[rng.random((m, n, seats)) < rng.choice([0.0, 0.6, 0.95])] = solvers._MISSING
    price = rng.integers(0, 3, n * seats) * 10_000 * scale
    blocks = solvers._scan_state(values, scale, price)
    tops = blocks[0]
    lists = np.empty((m, k), np.int64)
    list_value = np.empty((m, k), np.int32)
    list_len = np.zeros(m, np.int64)
    for step in ("first scan", "prices rose", "a phase gave back"):
        if step == "prices rose":
            price += rng.integers(0, 2, n * seats) * rng.integers(0, 30_000, n * seats) * scale
        elif step == "a phase gave back":
            back = int(rng.integers(1, 40_000)) * scale
            price = np.maximum(0, price - back)
            blocks[3][0] += back
        # As the auction does after every change of price.
        solvers._block_worths(blocks[4], price, scale, blocks[5])
        for j in range(m):
            bound = solvers._scan_row(
                values, blocks, j, price, k, lists, list_value, list_len, scale
            )
            row = values[j].ravel().astype(np.int64)
            usable = np.flatnonzero(row != solvers._MISSING)
            worth = row[usable] * scale - price[usable]
            n_blocks = tops.shape[1]
            first = solvers._scan_start(j, n_blocks)
            met = (usable // solvers._SCAN_BLOCK - first) % n_blocks * solvers._SCAN_BLOCK
            order = usable[np.lexsort((met + usable % solvers._SCAN_BLOCK, -worth))]
            assert list(lists[j, : list_len[j]]) == list(order[:k]), step
            assert list(list_value[j, : list_len[j]]) == list(row[order[:k]]), step
            if len(order) > k:
                assert bound == row[order[k]] * scale - price[order[k]], step
            else:
                assert bound == -(1 << 62), step
            # What the bound may rise to when prices fall: the row's best at price 0.
            ceiling = solvers._row_ceiling(tops, j, scale)
            assert ceiling == (row[usable].max() * scale if len(usable) else -(1 << 62))
