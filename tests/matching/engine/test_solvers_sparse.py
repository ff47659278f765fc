"""The exact solver's sparse path and its certificate (issue 12).

One-to-one problems with few eligible pairs are solved on those pairs alone: each mentee's best
few pairs are solved exactly, the potentials are checked against every eligible pair, and the
pairs that violate them are added and repaired until none is left. The dense path's certificate
is one vectorised pass over every pair (``_violation_extent``). The references are those of
``test_solvers``.
"""

from unittest.mock import patch

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import example, given
from hypothesis import strategies as st

from matching.engine import solvers
from matching.engine.solvers import _MISSING, _violation_extent, assign_with_capacities
from tests.matching.engine.test_solvers import FAST, _check_assignment, reference_assignment
from tests.matching.engine.test_solvers_hostile import (
    SHAPES,
    hostile_instance,
    hostile_problems,
)


def _sparse_path(per_mentee: int = solvers._SPARSE_PER_MENTEE):
    """Every problem takes the sparse path, keeping ``per_mentee`` pairs per mentee at first."""
    return patch.multiple(solvers, _SPARSE_DENSITY=1.0, _SPARSE_PER_MENTEE=per_mentee)


@FAST
@given(hostile_problems(), st.sampled_from([1, 2, 10]), st.booleans())
def test_sparse_path_matches_the_reference(problem, per_mentee, matched_first):
    scores, eligible, caps = problem
    with _sparse_path(per_mentee):
        result = assign_with_capacities(
            scores, eligible, caps, maximise_matched_first=matched_first
        )
    _check_assignment(result, eligible, caps)
    if matched_first:
        bonus = int(np.abs(np.rint(scores[eligible] * 1000)).max(initial=0)) * len(scores) + 1
        best, matched = reference_assignment(scores, eligible, caps, bonus)
        assert len(result.mentee) == matched
        assert result.total_units == best - bonus * matched
    else:
        assert result.total_units == reference_assignment(scores, eligible, caps)[0]


@pytest.mark.parametrize("shape", SHAPES)
def test_sparse_path_is_exact_on_ties_equal_scores_and_stars(shape):
    n, m = 160, 40
    scores, eligible, caps = hostile_instance(3, shape, n, m, density=0.5, cap_high=5)
    with _sparse_path(2):
        result = assign_with_capacities(scores, eligible, caps)
    _check_assignment(result, eligible, caps)
    assert result.total_units == reference_assignment(scores, eligible, caps)[0]


def test_a_failed_certificate_is_repaired_until_it_holds():
    # Everybody's single best pair is the same star mentor with one place: the first pruned
    # solve leaves nearly everybody out, and the certificate must bring their other pairs in.
    # Places are plentiful, so no auction's prices steer the first choice.
    rng = np.random.default_rng(8)
    n, m = 60, 12
    scores = rng.uniform(0, 50, (n, m)).astype(np.float32)
    scores[:, 0] = 99.0
    eligible = np.ones((n, m), bool)
    caps = np.full(m, 9)
    caps[0] = 1
    with _sparse_path(1):
        result = assign_with_capacities(scores, eligible, caps)
    assert result.rounds > 1
    _check_assignment(result, eligible, caps)
    assert result.total_units == reference_assignment(scores, eligible, caps)[0]


def test_pins_on_the_sparse_path_are_kept():
    rng = np.random.default_rng(4)
    scores = rng.uniform(0, 100, (30, 8)).astype(np.float32)
    eligible = rng.random((30, 8)) < 0.7
    eligible[0, 3] = True
    caps = np.full(8, 3)
    with _sparse_path():
        result = assign_with_capacities(scores, eligible, caps, pins=[(0, 3)])
    assert (0, 3) in result.pairs()
    _check_assignment(result, eligible, caps)


def test_few_eligible_pairs_take_the_sparse_path_and_stay_exact():
    rng = np.random.default_rng(6)
    n, m = 400, 100
    scores = rng.uniform(0, 100, (n, m)).astype(np.float32)
    eligible = rng.random((n, m)) < 0.04
    caps = rng.integers(1, 6, m)
    assert solvers._is_sparse(eligible)
    result = assign_with_capacities(scores, eligible, caps)
    _check_assignment(result, eligible, caps)
    assert result.total_units == reference_assignment(scores, eligible, caps)[0]
    assert result.unmatched.keys().isdisjoint(result.mentee.tolist())


@pytest.mark.parametrize("seats", [1, 3])
def test_the_certificate_pass_finds_the_largest_excess_off_each_board(seats):
    rng = np.random.default_rng(seats)
    m, n = 7, 11
    values = rng.integers(-500, 500, (m, n, seats)).astype(np.int32)
    values[rng.random((m, n, seats)) < 0.3] = _MISSING
    pot_mentor = rng.integers(-200, 200, m)
    pot_seat = rng.integers(-200, 200, n * seats)
    board = rng.integers(-1, m, (n, seats))
    bonus = 5
    by_mentor, by_mentee = _violation_extent(values, bonus, pot_mentor, pot_seat, board)
    excess = (
        values.astype(np.int64) + bonus - pot_mentor[:, None, None] + pot_seat.reshape(1, n, seats)
    )
    low = -(2**62)
    excess = np.where(values == _MISSING, low, excess).max(axis=2)
    on_board = (board[None, :, :] == np.arange(m)[:, None, None]).any(axis=2)
    excess = np.where(on_board, low, excess)
    assert by_mentor.tolist() == excess.max(axis=1).tolist()
    assert by_mentee.tolist() == excess.max(axis=0).tolist()


# --- Sparse input -------------------------------------------------------------------------------


# Found in a CI run: mentor 2 (every pair worth 0, one seat) full in one optimum, free in the other.
SEAT_WORTH_ZERO = (
    np.array([[75.0, 25.0, 0.0]] * 7, dtype=np.float32),
    np.array(
        [[0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0]], dtype=bool
    ),
    np.array([0, 1, 1]),
)


@FAST
@given(hostile_problems())
@example(SEAT_WORTH_ZERO)
def test_sparse_scores_give_the_dense_result(problem):
    scores, eligible, caps = problem
    rows, cols = np.nonzero(eligible)
    matrix = sp.csr_array((scores[rows, cols], (rows, cols)), shape=scores.shape)
    result = assign_with_capacities(matrix, None, caps)
    _check_assignment(result, eligible, caps)
    assert result.total_units == reference_assignment(scores, eligible, caps)[0]
    # A pair worth 0 may be taken or not (equally good): compare the reasons both leave out.
    # So may a seat worth 0 to someone else: a mentee with a mentor scoring 0 may find that
    # mentor's last seat taken in one optimum (full) and free in the other (zero score only).
    dense = assign_with_capacities(scores, eligible, caps).unmatched
    either = {solvers.CAPACITY_EXHAUSTED, solvers.ZERO_SCORE_ONLY}
    for i in result.unmatched.keys() & dense.keys():
        if {result.unmatched[i], dense[i]} <= either and (scores[i][eligible[i]] == 0).any():
            continue
        assert result.unmatched[i] == dense[i], i


def test_a_stored_zero_is_an_eligible_pair():
    # Mentee 1's only pair scores 0 and mentor 0 has room: it is left free by choice.
    matrix = sp.csr_array((np.array([5.0, 0.0]), (np.array([0, 1]), np.array([0, 0]))), (3, 2))
    result = assign_with_capacities(matrix, None, [2, 1], pins=[(1, 0)])
    assert result.pairs() == [(0, 0), (1, 0)]
    assert result.scores.tolist() == [5.0, 0.0]
    assert result.unmatched == {2: "no_eligible_mentor"}


def test_sparse_scores_refuse_a_second_mask_and_unstored_pins():
    matrix = sp.csr_array(np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="stored pairs"):
        assign_with_capacities(matrix, np.ones((1, 2), bool), [1, 1])
    with pytest.raises(ValueError, match="not eligible"):
        assign_with_capacities(matrix, None, [1, 1], pins=[(0, 1)])


@FAST
@given(
    st.integers(1, 40),
    st.integers(1, 37),
    st.sampled_from([0.0, 0.03, 0.5, 1.0]),
    st.integers(0, 2**16),
    st.booleans(),
)
def test_the_pair_list_reads_every_usable_pair_of_any_width(n, m, density, seed, offset):
    # The dense input read in parallel into the pair list, eight pairs a word: any width,
    # closed mentees and mentors, a mask that does not start on a word boundary, and a bool
    # view of bytes that are not all 0 or 1 (numpy takes any non-zero byte as True).
    rng = np.random.default_rng(seed)
    scores = rng.uniform(-100, 100, (n, m))
    buffer = np.zeros(n * m + 1, np.uint8)
    raw = buffer[int(offset) :][: n * m].reshape(n, m)
    raw[:] = (rng.random((n, m)) < density) * rng.integers(1, 256, (n, m))
    eligible = raw.view(np.bool_)
    mentee_open = rng.random(n) < 0.8
    mentor_open = rng.random(m) < 0.8
    rows = solvers._SparseRows.from_dense(scores, eligible, mentee_open, mentor_open)
    usable = (raw != 0) & mentee_open[:, None] & mentor_open[None, :]
    mentee, mentor = np.nonzero(usable)
    assert rows.mentee.tolist() == mentee.tolist()
    assert rows.mentor.tolist() == mentor.tolist()
    assert rows.q.tolist() == np.rint(scores[mentee, mentor] * solvers.SCORE_SCALE).tolist()
    assert rows.indptr.tolist() == [0, *np.cumsum(usable.sum(axis=1)).tolist()]


def _pair_list_auction(scores, eligible, caps, matched_first):
    n = len(scores)
    rows = solvers._SparseRows.from_dense(scores, eligible, np.ones(n, bool), caps > 0)
    q_max = int(np.abs(rows.q).max(initial=0))
    bonus = q_max * n + 1 if matched_first else 0
    price, owner, held, _listed, finished = solvers._pair_list_auction(rows, caps, bonus, q_max)
    return rows, bonus, price, owner, held, finished


@FAST
@given(hostile_problems(max_mentees=14, max_mentors=6), st.booleans())
def test_the_pair_list_auction_ends_at_the_optimum_when_its_reverse_steps_finish(
    problem, matched_first
):
    # With a price unit finer than one score unit over the places and seats, the forward
    # phases and the reverse steps leave an optimal assignment and no empty seat priced; heavy
    # ties may exhaust the reverse steps' budget, and then only the exact repair is owed.
    scores, eligible, caps = problem
    m = scores.shape[1]
    rows, bonus, price, owner, held, finished = _pair_list_auction(
        scores, eligible, caps, matched_first
    )
    seated = np.flatnonzero(owner >= 0)
    assert (rows.mentee[held[seated]] == seated).all()
    assert (rows.mentor[held[seated]] == owner[seated]).all()
    assert (np.bincount(owner[seated], minlength=m) <= caps).all()
    if finished:
        assert not (price[owner < 0] > 0).any()
        total = int((rows.q[held[seated]] + bonus).sum())
        assert total == reference_assignment(scores, eligible, caps, bonus)[0]


def test_ties_that_exhaust_the_reverse_budget_are_settled_by_the_repair():
    # Two mentors value two seats alike: reverse bids would creep one price unit at a time.
    scores = np.array([[50] * 4, [0] * 4, [75] * 4, [25] * 4, [50] * 4, [75] * 4], dtype=np.float32)
    eligible = np.array(
        [
            [False, True, True, True],
            [False, True, True, False],
            [True, True, True, True],
            [False, True, True, False],
            [True, True, False, True],
            [True, True, True, False],
        ]
    )
    caps = np.array([0, 1, 1, 1])
    *_, finished = _pair_list_auction(scores, eligible, caps, False)
    assert not finished
    with _sparse_path():
        result = assign_with_capacities(scores, eligible, caps)
    assert result.proven_optimal
    assert result.total_units == reference_assignment(scores, eligible, caps)[0] == 200_000


@pytest.mark.parametrize("shape", ["random", "stars"])
def test_without_ties_the_pair_list_auction_finishes_and_is_optimal(shape):
    n, m = 120, 30
    scores, eligible, caps = hostile_instance(11, shape, n, m, density=0.4, cap_high=4)
    rows, _bonus, _price, owner, held, finished = _pair_list_auction(scores, eligible, caps, False)
    assert finished
    seated = np.flatnonzero(owner >= 0)
    assert int(rows.q[held[seated]].sum()) == reference_assignment(scores, eligible, caps)[0]
