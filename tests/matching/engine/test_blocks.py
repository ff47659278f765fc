"""The consortium-scale solver (scored a block of rows at a time) is exact (issue 12, item 2).

Small blocks and short candidate lists force the optimality check to find what the first pass
left out, on the hostile shapes of ``test_solvers_hostile``; the reference is
``linear_sum_assignment`` on the capacity-expanded matrix, on the same quantised scores.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.engine import blocks
from matching.engine.blocks import assign_in_blocks
from matching.engine.common import raise_potentials, residual_graph
from matching.engine.features import synthetic_problem
from matching.engine.scoring import CRITERIA, RowScorer, score_pairs
from matching.engine.solvers import (
    CAPACITY_EXHAUSTED,
    NO_ELIGIBLE_MENTOR,
    ZERO_SCORE_ONLY,
    assign_with_capacities,
)
from tests.matching.engine.test_solvers import FAST, _check_assignment, reference_assignment
from tests.matching.engine.test_solvers_hostile import (
    SHAPES,
    hostile_instance,
    hostile_problems,
    hostile_scores,
)


def rows_of(scores, eligible):
    return lambda rows: (scores[rows], eligible[rows])


@FAST
@given(
    hostile_problems(),
    st.integers(1, 3),
    st.integers(1, 5),
    st.sampled_from([0, 2, 3]),
    st.sampled_from([0, 1, 4]),
)
def test_blocks_match_the_reference_on_hostile_problems(
    problem, per_mentee, block_rows, sample_every, per_mentor
):
    # A guess of the prices from a sample and each mentor's best mentees only shape the
    # first candidate set: the result is the optimum whatever they are.
    scores, eligible, caps = problem
    result = assign_in_blocks(
        rows_of(scores, eligible),
        scores.shape,
        caps,
        per_mentee=per_mentee,
        per_mentor=per_mentor,
        block_rows=block_rows,
        sample_every=sample_every,
    )
    _check_assignment(result, eligible, caps)
    assert result.total_units == reference_assignment(scores, eligible, caps)[0]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("places_per_mentee", [0.3, 1.0, 5.0])
def test_larger_hostile_instances_match_the_reference(shape, places_per_mentee):
    rng = np.random.default_rng(7)
    n, m = 150, 40
    scores = hostile_scores(rng, shape, n, m)
    eligible = rng.random((n, m)) < 0.5
    caps = rng.multinomial(round(places_per_mentee * n), np.ones(m) / m)
    for sample_every in (0, 5):
        result = assign_in_blocks(
            rows_of(scores, eligible),
            (n, m),
            caps,
            per_mentee=2,
            block_rows=32,
            sample_every=sample_every,
        )
        _check_assignment(result, eligible, caps)
        assert result.total_units == reference_assignment(scores, eligible, caps)[0]


@pytest.mark.parametrize("criteria", [("experience",), ("career_stage", "experience"), None])
def test_the_projects_scores_agree_with_the_dense_solver(criteria):
    features = synthetic_problem(400, 90, seed=4)
    weights = None if criteria is None else {c: float(c in criteria) for c in CRITERIA}
    scorer = RowScorer(features, weights)
    result = assign_in_blocks(
        scorer, scorer.shape, features.mentor_capacity, per_mentee=4, block_rows=64
    )
    scored = score_pairs(features, weights)
    dense = assign_with_capacities(scored.scores, scored.eligible, features.mentor_capacity)
    _check_assignment(result, scored.eligible, features.mentor_capacity)
    assert result.total_units == dense.total_units
    assert np.allclose(result.scores, scored.scores[result.mentee, result.mentor], atol=1e-3)
    # The reasons are read from the mentors with room only (RowScorer.columns).
    room = np.bincount(result.mentor, minlength=scorer.shape[1]) < features.mentor_capacity
    for i, reason in result.unmatched.items():
        if not scored.eligible[i].any():
            assert reason == NO_ELIGIBLE_MENTOR
        elif (scored.eligible[i] & room).any():
            assert reason == ZERO_SCORE_ONLY
        else:
            assert reason == CAPACITY_EXHAUSTED


def test_row_scorer_scores_like_score_pairs():
    features = synthetic_problem(300, 70, seed=8)
    weights = {c: float(k % 3) for k, c in enumerate(CRITERIA)}
    scored = score_pairs(features, weights)
    scorer = RowScorer(features, weights)
    rows = np.array([0, 3, 4, 150, 299])
    scores, eligible = scorer(rows)
    assert (eligible == scored.eligible[rows]).all()
    assert np.allclose(scores, scored.scores[rows], atol=1e-4)
    _every, every_eligible = scorer(np.arange(300))
    assert (every_eligible == scored.eligible).all()


def test_unmatched_mentees_get_the_reason():
    scores = np.array([[10.0, 0.0], [0.0, 0.0], [20.0, 0.0], [5.0, 0.0]], np.float32)
    eligible = np.array([[True, False], [False, False], [True, False], [True, True]])
    caps = np.array([1, 1])
    result = assign_in_blocks(rows_of(scores, eligible), scores.shape, caps, per_mentee=1)
    assert result.pairs() == [(2, 0)]
    assert result.unmatched == {
        0: CAPACITY_EXHAUSTED,
        1: NO_ELIGIBLE_MENTOR,
        3: ZERO_SCORE_ONLY,
    }
    assert result.proven_optimal


def test_progress_and_a_time_limit():
    rng = np.random.default_rng(3)
    scores = hostile_scores(rng, "mentor_only", 200, 40)
    eligible = np.ones(scores.shape, bool)
    caps = np.full(40, 2)
    steps = []
    result = assign_in_blocks(
        rows_of(scores, eligible),
        scores.shape,
        caps,
        per_mentee=1,
        on_progress=lambda fraction, message: steps.append((fraction, message)),
        time_limit=0,
    )
    assert result.timed_out
    assert not result.proven_optimal
    assert (np.bincount(result.mentor, minlength=40) <= caps).all()
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions)
    assert all(0 < f < 1 for f in fractions)
    assert any("no better assignment" in message for _, message in steps)
    full = assign_in_blocks(rows_of(scores, eligible), scores.shape, caps, per_mentee=1)
    assert full.proven_optimal
    assert full.total_units >= result.total_units


def test_empty_cohorts():
    scores = np.zeros((0, 3), np.float32)
    result = assign_in_blocks(rows_of(scores, scores > 0), (0, 3), [1, 1, 1])
    assert len(result.mentee) == 0
    assert result.proven_optimal
    scores = np.zeros((3, 0), np.float32)
    result = assign_in_blocks(rows_of(scores, scores > 0), (3, 0), [])
    assert result.unmatched == {0: NO_ELIGIBLE_MENTOR, 1: NO_ELIGIBLE_MENTOR, 2: NO_ELIGIBLE_MENTOR}


def test_row_scorer_restricted_to_some_mentors():
    features = synthetic_problem(200, 60, seed=6)
    scored = score_pairs(features)
    cols = np.array([0, 7, 8, 30, 59])
    rows = np.array([2, 3, 199])
    scores, eligible = RowScorer(features).columns(cols)(rows)
    assert (eligible == scored.eligible[np.ix_(rows, cols)]).all()
    assert np.allclose(scores, scored.scores[np.ix_(rows, cols)], atol=1e-4)


class DenseRows:
    """A dense matrix served by rows and, like ``RowScorer``, by mentor columns."""

    def __init__(self, scores, eligible):
        self.scores, self.eligible = scores, eligible

    def __call__(self, rows):
        return self.scores[rows], self.eligible[rows]

    def columns(self, cols):
        return DenseRows(self.scores[:, cols], self.eligible[:, cols])


@pytest.mark.parametrize("shape", ["additive", "mentor_only", "stars", "random"])
def test_column_checks_keep_it_exact(shape):
    n, m = 300, 60
    scores, eligible, caps = hostile_instance(11, shape, n, m, density=0.7, cap_high=5)
    result = assign_in_blocks(DenseRows(scores, eligible), (n, m), caps, per_mentee=3)
    _check_assignment(result, eligible, caps)
    assert result.total_units == reference_assignment(scores, eligible, caps)[0]


@pytest.mark.parametrize("raise_from", [0, 10**9])
@pytest.mark.parametrize("shape", SHAPES)
def test_repaired_rounds_stay_exact(monkeypatch, shape, raise_from):
    # Every round repairs the last flow (no solve from scratch), from the certificate's
    # potentials or from the lowest valid ones.
    monkeypatch.setattr(blocks, "_REPAIR_UP_TO", 10**9)
    monkeypatch.setattr(blocks, "_RAISE_FROM", raise_from)
    n, m = 150, 40
    scores, eligible, caps = hostile_instance(5, shape, n, m, density=0.6, cap_high=4)
    result = assign_in_blocks(rows_of(scores, eligible), (n, m), caps, per_mentee=1)
    _check_assignment(result, eligible, caps)
    assert result.proven_optimal
    assert result.total_units == reference_assignment(scores, eligible, caps)[0]


def test_raised_potentials_are_the_lowest_valid_ones():
    rng = np.random.default_rng(9)
    n, m = 60, 15
    scores = rng.integers(0, 100, (n, m)) * 1000
    network = blocks._Network(n, m, rng.integers(1, 4, m))
    mentee, mentor = np.nonzero(rng.random((n, m)) < 0.4)
    network.add(mentee, mentor, scores[mentee, mentor])
    network.solve()
    net = network.network
    first, adjacent, head, residual, cost = residual_graph(
        net.n_nodes, net.tails, net.heads, net.capacity, net.flow, net.cost
    )
    low = np.full(net.n_nodes, -(2**60), np.int64)
    low[network.sink] = 0
    arcs = (net.tails, net.heads, net.capacity, net.flow, net.cost)
    assert raise_potentials(net.n_nodes, *arcs, low, net.n_nodes)
    low[low <= -(2**60)] = 0
    tail = np.repeat(np.arange(net.n_nodes), np.diff(first))
    arc = adjacent[np.arange(len(adjacent))]
    open_arcs = residual[arc] > 0
    reduced = cost[arc] + low[tail] - low[head[arc]]
    assert (reduced[open_arcs] >= 0).all()
    # network.pot are the highest valid potentials (sink at 0): every valid set lies below.
    assert (low <= network.pot).all()
