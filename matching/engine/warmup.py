"""Compile (or load from numba's on-disk cache) every jitted solver kernel ahead of the first
proposal, so that a director never waits for a compiler.

Run at install time (``python -m matching.engine.warmup``, done by the Docker build and by
``manage.py warm_matching``) to fill the cache, and at worker start (the Celery app calls
:func:`warm_up` in each worker process) to load it. Without a cache the compilation takes tens
of seconds on a 2-core machine; loading a filled cache takes well under a second.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from matching.engine import blocks, solvers
from matching.engine.features import synthetic_problem
from matching.engine.fused import FusedScorer
from matching.engine.scoring import RowScorer


def warm_up() -> float:
    """Run each solver once on small instances of the dtypes production uses; seconds taken."""
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 100, (40, 12)).astype(np.float32)
    eligible = rng.random((40, 12)) < 0.8
    caps = np.full(12, 3, np.int64)
    budget = solvers._PATH_BUDGET
    try:
        # Both ways of repairing the auction's result: cheapest paths, and a re-solve of what
        # they leave (a budget of 0 gives up after the first round).
        for path_budget in (10**9, 0):
            solvers._PATH_BUDGET = path_budget
            for matched_first in (False, True):
                solvers.assign_with_capacities(
                    scores, eligible, caps, maximise_matched_first=matched_first
                )
                solvers.assign_with_capacities(
                    scores.astype(np.float64), eligible, caps, maximise_matched_first=matched_first
                )
                areas = np.tile(np.arange(3), (40, 1))
                board = np.repeat(scores[:, None, :], 3, axis=1)
                solvers.assign_mosaic(
                    board, eligible, caps, areas, maximise_matched_first=matched_first
                )
                solvers.assign_mosaic(
                    board, np.repeat(eligible[:, None, :], 3, axis=1), caps, areas
                )
                # Places plentiful: seats bid for mentors' places instead.
                solvers.assign_mosaic(
                    board, eligible, caps * 10, areas, maximise_matched_first=matched_first
                )
    finally:
        solvers._PATH_BUDGET = budget
    _warm_plateau_flow()
    _warm_violation_scan()
    # Few eligible pairs, as a mask and as a sparse matrix: the pair-list path.
    # Plentiful places (no auction), then scarce ones (the auction over the pair list).
    few = eligible & (rng.random(eligible.shape) < 0.05)
    half = eligible & (rng.random(eligible.shape) < 0.5)
    for pairs in (few, half):
        for dtype in (np.float32, np.float64):
            solvers.assign_with_capacities(scores.astype(dtype), pairs, caps)
        solvers.assign_with_capacities(scores, pairs, caps, maximise_matched_first=True)
        solvers.assign_with_capacities(sp.csr_array(np.where(pairs, scores, 0)), None, caps)
    solvers.extract_candidates(scores, eligible, per_mentee=5)
    # The consortium-scale solver (scored a block at a time): its selection and potentials
    # kernels, the price guess from a sample included.
    blocks.assign_in_blocks(
        lambda rows: (scores[rows], eligible[rows]),
        scores.shape,
        caps,
        per_mentee=3,
        sample_every=2,
    )
    # ... and the kernels that score a cohort's features and select in one pass.
    scorer = RowScorer(synthetic_problem(40, 12, seed=0))
    blocks.assign_in_blocks(
        scorer, scorer.shape, scorer.features.mentor_capacity, per_mentee=3, sample_every=2
    )
    FusedScorer.of(scorer)(np.arange(4))
    return time.perf_counter() - start


def _warm_plateau_flow() -> None:
    """The cheapest-path repair's maximum flow over a plateau of ties: two sources, two
    demands, and a first pass that takes the path both need."""
    tails = np.array([0, 0, 1, 2, 3], np.int64)
    heads = np.array([2, 3, 2, 4, 5], np.int64)
    network = solvers._FlowNetwork.with_flow(
        6,
        tails,
        heads,
        np.ones(5, np.int64),
        np.zeros(5, np.int64),
        np.zeros(5, np.int64),
        np.zeros(6, np.int64),
        np.array([1, 1, 0, 0, -1, -1], np.int64),
    )
    units = solvers._PLATEAU_UNITS
    solvers._PLATEAU_UNITS = 1
    try:
        network.solve_ssp()
    finally:
        solvers._PLATEAU_UNITS = units


def _warm_violation_scan() -> None:
    """The certificate's per-mentor scan for the worst violations. The small boards above are
    proven at once, so no solve there reaches it; a director's first proposal on a real cohort
    would otherwise wait about 3 s for it to compile."""
    m, n, seats = 2, 3, 3
    solvers._worst_violations(
        np.ones((m, n, seats), np.int32),
        1,
        np.zeros(m, np.int64),  # potentials of mentors
        np.zeros(n * seats, np.int64),  # ... and of seats
        np.zeros(m + 1, np.int64),  # no pairs known yet
        np.zeros(0, np.int64),
        np.arange(m, dtype=np.int64),
        2,
    )


if __name__ == "__main__":
    print(f"matching solvers ready in {warm_up():.1f} s")
