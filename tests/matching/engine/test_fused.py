"""The fused kernels score exactly as RowScorer does (issue 12, item 2).

The block solver's exactness rests on each pair's quantised score being the same whichever
way it is computed, so the kernels' float32 scores are compared bit for bit with
:class:`RowScorer`'s, on random cohorts, every criterion alone and random weights (zeros
included), both career-stage modes, one institution and several, and every exclusion rule.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.engine.blocks import _Scored, assign_in_blocks
from matching.engine.features import synthetic_problem
from matching.engine.fused import FusedScorer
from matching.engine.scoring import CRITERIA, RowScorer, StageMode, score_pairs
from matching.engine.solvers import quantise
from tests.matching.engine.test_solvers import FAST


def _bits(scores):
    return np.asarray(scores, np.float32).view(np.int32)


def _cohort(seed, n, m, institutions, untrained=0.0):
    features = synthetic_problem(n, m, seed=seed, n_institutions=institutions)
    if untrained:
        rng = np.random.default_rng(seed)
        features = dataclasses.replace(features, mentor_meets_training=rng.random(m) >= untrained)
    return features


def _assert_same(scorer, rows):
    fused = FusedScorer.of(scorer)
    scores, eligible = scorer(rows)
    fused_scores, fused_eligible = fused(rows)
    assert (fused_eligible == eligible).all()
    assert (_bits(fused_scores) == _bits(scores)).all()
    assert (quantise(fused_scores) == quantise(scores)).all()


weights_strategy = st.one_of(
    st.none(),
    st.sampled_from(CRITERIA).map(lambda only: {c: float(c == only) for c in CRITERIA}),
    st.fixed_dictionaries(
        {c: st.sampled_from([0.0, 0.25, 1.0, 1.5, 3.0, 7.3]) for c in CRITERIA}
    ).filter(lambda w: sum(w.values()) > 0),
)


@FAST
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 60),
    m=st.integers(1, 40),
    institutions=st.integers(1, 4),
    weights=weights_strategy,
    mode=st.sampled_from(list(StageMode)),
)
def test_fused_scores_are_row_scorers_bit_for_bit(seed, n, m, institutions, weights, mode):
    features = _cohort(seed, n, m, institutions, untrained=0.2)
    scorer = RowScorer(features, weights, mode=mode)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=rng.integers(1, n + 1), replace=False))
    _assert_same(scorer, rows)


@pytest.mark.parametrize("criterion", CRITERIA)
def test_each_criterion_alone_on_a_larger_cohort(criterion):
    features = _cohort(3, 300, 250, 3)
    scorer = RowScorer(features, {c: float(c == criterion) for c in CRITERIA})
    _assert_same(scorer, np.arange(300))


def test_the_same_eligibility_as_score_pairs():
    # Self pairs, declared exclusions, paused and full mentors, mentors who only mentor at
    # their own institution, and mentors short of the program's training rule.
    features = _cohort(5, 200, 120, 3, untrained=0.3)
    scored = score_pairs(features)
    assert not features.mentor_meets_training.all()
    assert len(features.excluded_mentee)
    _scores, eligible = FusedScorer.of(RowScorer(features))(np.arange(200))
    assert (eligible == scored.eligible).all()
    _scores, eligible = RowScorer(features)(np.arange(200))
    assert (eligible == scored.eligible).all()


def test_restricted_to_some_mentors():
    features = _cohort(6, 150, 80, 2, untrained=0.1)
    scorer = RowScorer(features)
    cols = np.array([0, 3, 4, 17, 40, 79])
    rows = np.array([1, 2, 50, 149])
    scores, eligible = scorer.columns(cols)(rows)
    fused_scores, fused_eligible = FusedScorer.of(scorer).columns(cols)(rows)
    assert (fused_eligible == eligible).all()
    assert (_bits(fused_scores) == _bits(scores)).all()


@pytest.mark.parametrize("per_column", [0, 5])
def test_selection_is_the_scored_paths(per_column):
    # The fused selection keeps exactly what scoring a block and selecting from it keeps:
    # each row's best, the bound on the rest, the skipped pairs left out, the column heaps.
    features = _cohort(7, 120, 60, 3)
    scorer = RowScorer(features)
    rng = np.random.default_rng(7)
    rows = np.sort(rng.choice(120, 70, replace=False))
    open_mentor = rng.random(60) < 0.9
    price = rng.integers(-3000, 3000, 60)
    ptr = np.concatenate([[0], np.cumsum(rng.integers(0, 3, len(rows)))])
    skip = (ptr, rng.integers(0, 60, ptr[-1]))
    results = []
    for selector in (FusedScorer.of(scorer), _Scored(scorer)):
        heaps = (rows, np.full((60, per_column), -(2**62)), np.full((60, per_column), -1))
        found = selector.select(rows, open_mentor, price, 4, skip=skip, heaps=heaps)
        results.append((*found, heaps[1], heaps[2]))
    for fused, scored in zip(*results, strict=True):
        assert (fused == scored).all()


def test_the_block_solver_finds_the_same_assignment_either_way():
    features = _cohort(8, 500, 120, 3, untrained=0.1)
    scorer = RowScorer(features)
    fused = assign_in_blocks(scorer, scorer.shape, features.mentor_capacity, per_mentee=3)
    scored = assign_in_blocks(
        lambda rows: scorer(rows), scorer.shape, features.mentor_capacity, per_mentee=3
    )
    assert fused.proven_optimal
    assert scored.proven_optimal
    assert fused.total_units == scored.total_units
    assert fused.unmatched == scored.unmatched
