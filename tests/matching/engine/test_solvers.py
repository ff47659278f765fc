"""Solvers: capacities, exclusions and pins always hold, and the exact ones match references.

References are independent of the solvers under test: ``linear_sum_assignment`` on the
capacity-expanded matrix with a private "unmatched" column per mentee, a small integer program
(``scipy.optimize.milp``) for mosaic boards, and brute force for peer pairs.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp

from matching.engine.common import NO_ELIGIBLE_PEER, NOT_PAIRED
from matching.engine.features import board_areas, synthetic_problem
from matching.engine.scoring import score_mosaic, score_pairs
from matching.engine.solvers import (
    ALREADY_ON_BOARD,
    CAPACITY_EXHAUSTED,
    NO_ELIGIBLE_MENTOR,
    ZERO_SCORE_ONLY,
    assign_mosaic,
    assign_with_capacities,
    extract_candidates,
    pair_peers,
    quantise,
)

FAST = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- References ---------------------------------------------------------------------------------


def reference_assignment(scores, eligible, caps, bonus=0):
    """Exact optimum via linear_sum_assignment: (total units incl. bonus, pairs matched)."""
    n, m = scores.shape
    if n == 0:
        return 0, 0
    q = quantise(scores).astype(np.float64) + bonus
    slots = np.repeat(np.arange(m), caps)
    forbidden = -1e15
    matrix = np.full((n, len(slots) + n), forbidden)
    matrix[:, : len(slots)] = np.where(eligible[:, slots], q[:, slots], forbidden)
    matrix[np.arange(n), len(slots) + np.arange(n)] = 0
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    return round(matrix[rows, cols].sum()), int((cols < len(slots)).sum())


def reference_mosaic(scores, eligible, caps, areas, bonus=0):
    n, seats, m = scores.shape
    usable = eligible & (areas >= 0)[:, :, None] & (caps > 0)[None, None, :]
    index = np.argwhere(usable)
    if len(index) == 0:
        return 0, 0
    q = quantise(scores[usable]).astype(np.float64) + bonus
    i, s, j = index.T
    k = np.arange(len(index))
    rows = np.concatenate([i * seats + s, n * seats + i * m + j, n * seats + n * m + j])
    matrix = sp.csr_matrix(
        (np.ones(3 * len(k)), (rows, np.tile(k, 3))), shape=(n * seats + n * m + m, len(k))
    )
    upper = np.concatenate([np.ones(n * seats + n * m), caps])
    result = milp(
        -q,
        constraints=LinearConstraint(matrix, -np.inf, upper),
        integrality=np.ones(len(k)),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0},
    )
    chosen = np.round(result.x)
    return round(q @ chosen), int(chosen.sum())


def reference_peers(weights, allowed):
    """Brute force over all matchings of a small cohort."""
    n = len(weights)

    def best(free):
        if len(free) < 2:
            return 0
        first, rest = free[0], free[1:]
        value = best(rest)
        for k, other in enumerate(rest):
            if allowed[first, other] and weights[first, other] > 0:
                value = max(value, weights[first, other] + best(rest[:k] + rest[k + 1 :]))
        return value

    return best(tuple(range(n)))


# --- Strategies ---------------------------------------------------------------------------------


@st.composite
def assignment_problems(draw, max_mentees=8, max_mentors=5):
    n = draw(st.integers(0, max_mentees))
    m = draw(st.integers(0, max_mentors))
    # A few distinct values make ties common, which is where solvers go wrong.
    palette = draw(st.sampled_from([(0.0, 25.0, 50.0, 75.0, 100.0), (12.5, 12.5, 40.0), None]))
    if palette is None:
        values = draw(st.lists(st.floats(0, 100, width=32), min_size=n * m, max_size=n * m))
    else:
        values = draw(st.lists(st.sampled_from(palette), min_size=n * m, max_size=n * m))
    scores = np.array(values, dtype=np.float32).reshape(n, m)
    density = draw(st.floats(0.2, 1.0))
    seed = draw(st.integers(0, 2**16))
    eligible = np.random.default_rng(seed).random((n, m)) < density
    caps = np.array(draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)), dtype=np.int64)
    return scores, eligible, caps


def _check_assignment(result, eligible, caps):
    assert (np.bincount(result.mentor, minlength=len(caps)) <= caps).all()
    assert eligible[result.mentee, result.mentor].all()
    assert len(np.unique(result.mentee)) == len(result.mentee)
    assert result.proven_optimal


# --- One mentor per mentee ----------------------------------------------------------------------


@FAST
@given(assignment_problems())
def test_assignment_is_feasible_and_optimal(problem):
    scores, eligible, caps = problem
    result = assign_with_capacities(scores, eligible, caps)
    _check_assignment(result, eligible, caps)
    assert result.total_units == reference_assignment(scores, eligible, caps)[0]
    assert result.total == pytest.approx(float(scores[result.mentee, result.mentor].sum()))


@FAST
@given(assignment_problems())
def test_matched_first_maximises_the_count_then_the_total(problem):
    scores, eligible, caps = problem
    result = assign_with_capacities(scores, eligible, caps, maximise_matched_first=True)
    _check_assignment(result, eligible, caps)
    n = scores.shape[0]
    bonus = int(quantise(np.abs(scores[eligible])).max(initial=0)) * n + 1
    best, count = reference_assignment(scores, eligible, caps, bonus)
    assert len(result.mentee) == count
    assert result.total_units + bonus * count == best


@FAST
@given(assignment_problems(), st.data())
def test_pins_are_kept_and_use_capacity(problem, data):
    scores, eligible, caps = problem
    left = caps.copy()
    pins = []
    for i in range(scores.shape[0]):
        options = np.flatnonzero(eligible[i] & (left > 0))
        if len(options) and data.draw(st.booleans()):
            j = int(data.draw(st.sampled_from(options.tolist())))
            pins.append((i, j))
            left[j] -= 1
    result = assign_with_capacities(scores, eligible, caps, pins=pins)
    _check_assignment(result, eligible, caps)
    assert set(pins) <= set(result.pairs())
    # Optimal among assignments containing the pins: the rest is an optimal solve on what's left.
    rest = np.ones(scores.shape[0], bool)
    rest[[i for i, _ in pins]] = False
    pinned_units = sum(int(quantise(scores[i, j])) for i, j in pins)
    expected = reference_assignment(scores[rest], eligible[rest], left)[0] + pinned_units
    assert result.total_units == expected


def test_a_realistic_problem_matches_the_reference():
    features = synthetic_problem(240, 50, seed=11)
    scored = score_pairs(features)
    caps = features.mentor_capacity
    result = assign_with_capacities(scored.scores, scored.eligible, caps)
    _check_assignment(result, scored.eligible, caps)
    assert result.total_units == reference_assignment(scored.scores, scored.eligible, caps)[0]


def test_unmatched_mentees_get_reasons():
    scores = np.array([[50, 0], [40, 0], [0, 0], [0, 0]], dtype=np.float32)
    eligible = np.array([[True, False], [True, False], [False, False], [False, True]])
    result = assign_with_capacities(scores, eligible, [1, 1])
    assert result.pairs() == [(0, 0)]
    assert result.unmatched == {1: CAPACITY_EXHAUSTED, 2: NO_ELIGIBLE_MENTOR, 3: ZERO_SCORE_ONLY}


def test_more_mentees_than_places_leaves_a_partial_result():
    scores = np.full((5, 2), 60.0, dtype=np.float32)
    result = assign_with_capacities(scores, np.ones((5, 2), bool), [1, 2])
    assert len(result.mentee) == 3
    assert set(result.unmatched.values()) == {CAPACITY_EXHAUSTED}


@pytest.mark.parametrize(("n", "m"), [(0, 0), (3, 0), (0, 4)])
def test_empty_sides_give_an_empty_result(n, m):
    result = assign_with_capacities(np.zeros((n, m)), np.ones((n, m), bool), np.ones(m))
    assert result.pairs() == []
    assert result.total == 0
    assert result.unmatched == dict.fromkeys(range(n), NO_ELIGIBLE_MENTOR)


def test_mentors_without_capacity_are_never_used():
    result = assign_with_capacities(np.full((3, 2), 90.0), np.ones((3, 2), bool), [0, 0])
    assert result.pairs() == []
    assert set(result.unmatched.values()) == {CAPACITY_EXHAUSTED}


@pytest.mark.parametrize(
    ("pins", "message"),
    [
        ([(0, 1)], "not eligible"),
        ([(0, 0), (0, 0)], "more than once"),
        ([(0, 0), (1, 0)], "capacity"),
        ([(5, 0)], "out of range"),
    ],
)
def test_invalid_pins_are_refused(pins, message):
    eligible = np.array([[True, False], [True, True]])
    with pytest.raises(ValueError, match=message):
        assign_with_capacities(np.ones((2, 2)), eligible, [1, 1], pins=pins)


def test_non_finite_scores_are_refused():
    with pytest.raises(ValueError, match="finite"):
        assign_with_capacities(np.array([[np.nan]]), np.array([[True]]), [1])


def test_candidates_list_each_mentees_best_mentors():
    scores = np.array([[10, 30, 20], [5, 1, 9]], dtype=np.float32)
    eligible = np.array([[True, True, True], [True, False, False]])
    mentors, valid = extract_candidates(scores, eligible, per_mentee=2)
    assert mentors[0].tolist() == [1, 2]
    assert mentors[1][valid[1]].tolist() == [0]


# --- Mosaic -------------------------------------------------------------------------------------


@st.composite
def mosaic_problems(draw):
    scores, _, caps = draw(assignment_problems(max_mentees=6, max_mentors=5))
    n, m = scores.shape
    seats = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    # Seats of one board often tie (same mentor, two areas they offer), as in real boards.
    area_scores = np.repeat(scores[:, None, :], seats, axis=1)
    area_scores += (rng.random((n, seats, m)) < 0.3) * np.float32(7)
    eligible = rng.random((n, seats, m)) < draw(st.floats(0.3, 1.0))
    areas = rng.integers(-1, 6, (n, seats))
    return area_scores.astype(np.float32), eligible, caps, areas


def _check_mosaic(result, eligible, caps, areas):
    assert (np.bincount(result.mentor, minlength=len(caps)) <= caps).all()
    assert eligible[result.mentee, result.seat, result.mentor].all()
    assert (areas[result.mentee, result.seat] >= 0).all()
    assert len(set(zip(result.mentee.tolist(), result.mentor.tolist(), strict=True))) == len(
        result.mentee
    )
    assert len(set(zip(result.mentee.tolist(), result.seat.tolist(), strict=True))) == len(
        result.mentee
    )
    assert result.proven_optimal


@FAST
@given(mosaic_problems())
def test_mosaic_is_feasible_and_optimal(problem):
    scores, eligible, caps, areas = problem
    result = assign_mosaic(scores, eligible, caps, areas)
    _check_mosaic(result, eligible, caps, areas)
    assert result.total_units == reference_mosaic(scores, eligible, caps, areas)[0]


@FAST
@given(mosaic_problems())
def test_mosaic_matched_first_fills_the_most_seats(problem):
    scores, eligible, caps, areas = problem
    result = assign_mosaic(scores, eligible, caps, areas, maximise_matched_first=True)
    _check_mosaic(result, eligible, caps, areas)
    n, seats, _ = scores.shape
    usable = eligible & (areas >= 0)[:, :, None]
    bonus = int(quantise(np.abs(scores[usable])).max(initial=0)) * n * seats + 1
    best, count = reference_mosaic(scores, eligible, caps, areas, bonus)
    assert len(result.mentee) == count
    assert result.total_units + bonus * count == best


def test_mosaic_pins_are_kept_and_block_a_second_seat():
    scores = np.full((1, 2, 2), 50.0, dtype=np.float32)
    scores[0, 1, 0] = 90
    result = assign_mosaic(
        scores, np.ones((1, 2, 2), bool), [2, 2], np.array([[0, 1]]), pins=[(0, 0, 0)]
    )
    assert list(zip(result.seat.tolist(), result.mentor.tolist(), strict=True)) == [(0, 0), (1, 1)]


def test_mosaic_reports_why_seats_stay_open():
    scores = np.full((2, 2, 2), 50.0, dtype=np.float32)
    eligible = np.zeros((2, 2, 2), bool)
    eligible[0, 0, 0] = eligible[0, 1, 0] = True  # only mentor 0, who can sit once
    eligible[1, 0, 1] = True
    eligible[1, 1, 0] = True  # mentor 0 will be full
    result = assign_mosaic(scores, eligible, [2, 1], np.array([[0, 1], [0, 2]]))
    # Mentee 0's two seats tie: whichever stays open, the reason names the full mentor.
    (open_seat,) = [seat for seat in result.unfilled if seat[0] == 0]
    assert result.unfilled[open_seat] in {ALREADY_ON_BOARD, CAPACITY_EXHAUSTED}
    assert len(result.mentee) == 3
    none = assign_mosaic(scores, np.zeros((2, 2, 2), bool), [1, 1], np.array([[0, -1], [1, 2]]))
    assert none.unfilled == dict.fromkeys([(0, 0), (1, 0), (1, 1)], NO_ELIGIBLE_MENTOR)


def test_mosaic_accepts_one_eligibility_matrix_for_every_seat():
    features = synthetic_problem(60, 20, seed=4)
    areas = board_areas(features, seats=3)
    area_scores, eligible = score_mosaic(features, areas)
    result = assign_mosaic(area_scores, eligible, features.mentor_capacity, areas)
    _check_mosaic(result, eligible, features.mentor_capacity, areas)
    pair_eligible = score_pairs(features).eligible
    loose = assign_mosaic(area_scores, pair_eligible, features.mentor_capacity, areas)
    assert loose.total_units >= result.total_units


def test_mosaic_with_no_mentors_leaves_every_seat_open():
    result = assign_mosaic(
        np.zeros((2, 3, 0)), np.zeros((2, 3, 0), bool), [], np.array([[0, 1, -1], [2, -1, -1]])
    )
    assert len(result.mentee) == 0
    assert len(result.unfilled) == 3


# --- Peer pairs ---------------------------------------------------------------------------------


@st.composite
def peer_problems(draw):
    n = draw(st.integers(0, 7))
    values = draw(
        st.lists(st.sampled_from([0.0, 10.0, 20.0, 35.0, 50.0]), min_size=n * n, max_size=n * n)
    )
    seed = draw(st.integers(0, 2**16))
    eligible = np.random.default_rng(seed).random((n, n)) < draw(st.floats(0.3, 1.0))
    return np.array(values, dtype=np.float64).reshape(n, n), eligible


@FAST
@given(peer_problems())
def test_peer_pairs_are_eligible_both_ways_and_optimal(problem):
    scores, eligible = problem
    result = pair_peers(scores, eligible)
    people = [p for pair in result.pairs for p in pair]
    assert len(people) == len(set(people))
    for a, b in result.pairs:
        assert a < b
        assert eligible[a, b]
        assert eligible[b, a]
    both = eligible & eligible.T
    weights = quantise((scores + scores.T) / 2)
    assert int(quantise(result.weights).sum()) == reference_peers(weights, both)
    assert set(result.unpaired) | set(people) == set(range(len(scores)))


def test_unpaired_peers_get_reasons():
    eligible = np.ones((3, 3), bool)
    eligible[2, :] = eligible[:, 2] = False
    result = pair_peers(np.full((3, 3), 40.0), eligible)
    assert result.pairs == [(0, 1)]
    assert result.unpaired == {2: NO_ELIGIBLE_PEER}
    odd = pair_peers(np.full((3, 3), 40.0), np.ones((3, 3), bool))
    assert list(odd.unpaired.values()) == [NOT_PAIRED]


def test_peer_pairing_of_nobody_is_empty():
    result = pair_peers(np.zeros((0, 0)), np.zeros((0, 0), bool))
    assert result.pairs == []
    assert result.total == 0


# --- Facilitated peer groups --------------------------------------------------------------------
