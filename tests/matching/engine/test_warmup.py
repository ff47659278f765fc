"""The warm-up compiles every kernel a proposal uses: after it, no solve compiles anything.

A kernel the warm-up misses is compiled (or loaded) during a director's first proposal that
reaches it: about 3 s for the certificate's per-mentor scan, which the small warm-up problems
never reached. The check runs in a fresh interpreter, so kernels compiled by other tests in
this process cannot hide a gap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Instances of every shape the bench's families take, at a size where the auction leaves
# violations, the repair takes several rounds, and places are scarce, even and plentiful.
SCRIPT = r"""
import json
import numba
import numpy as np
from matching.engine import blocks, fused, groups, scoring, solvers
from matching.engine.features import board_areas, synthetic_problem
from matching.engine.scoring import score_mosaic, score_pairs
from matching.engine.warmup import warm_up

MODULES = (blocks, fused, groups, scoring, solvers)

def compiled():
    return {
        f"{module.__name__}.{name}": [str(s) for s in kernel.signatures]
        for module in MODULES
        for name, kernel in vars(module).items()
        if isinstance(kernel, numba.core.registry.CPUDispatcher)
    }

warm_up()
before = compiled()
features = synthetic_problem(600, 120, seed=3)
areas = board_areas(features, seats=3, fill=True)
caps = features.mentor_capacity.astype(np.int64)
rng = np.random.default_rng(3)
for weights in (None, {"career_stage": 1.0}, {"interests": 1.0}):
    scored = score_pairs(features, weights)
    board, eligible = score_mosaic(features, areas, weights)
    for share in (0.3, 1.0, 5.0):
        places = np.maximum(1, np.round(caps * share * 600 / caps.sum())).astype(np.int64)
        for first in (False, True):
            solvers.assign_with_capacities(
                scored.scores, scored.eligible, places, maximise_matched_first=first
            )
            solvers.assign_mosaic(
                board, eligible, places, areas, maximise_matched_first=first
            )
sparse = scored.eligible & (rng.random(scored.eligible.shape) < 0.03)
solvers.assign_with_capacities(scored.scores, sparse, caps)
grid = rng.integers(0, 5, board.shape).astype(np.float32) * 25
solvers.assign_mosaic(grid, np.ones(board.shape, bool), caps, areas)
after = compiled()
print(json.dumps({k: [s for s in v if s not in before.get(k, [])] for k, v in after.items()}))
"""


def test_no_solve_compiles_a_kernel_after_the_warm_up():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    compiled_late = {k: v for k, v in json.loads(done.stdout.splitlines()[-1]).items() if v}
    assert compiled_late == {}
