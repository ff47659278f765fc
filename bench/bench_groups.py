"""Group formation and peer pairing at scale: quality against an upper bound, and time.

    .venv/bin/python bench/bench_groups.py [--peers 300] [--seeds 3] [--pairs 2000]

For each seed: mentee-vs-mentee scores from the project's own `synthetic_problem` + `score_pairs`
(peer mode), groups of 3–5 formed by `matching.engine.groups.form_groups`, and the LP-relaxation
upper bound (HiGHS, triangle cuts) of `grouping_upper_bound` on the same objective (the sum of
members' mean affinity to their group). Prints the gap `(bound - ours) / bound` and both times;
exits 1 if any gap is above 5 %. Wall-clock and CPU seconds are both printed (on a shared machine
the wall clock includes waiting for a core). Then peer pairs above the exact solver's 800-peer limit with
`pair_peers_at_scale`, timed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.engine.features import synthetic_problem
from matching.engine.groups import (
    form_groups,
    grouping_upper_bound,
    pair_peers_at_scale,
    peer_affinity,
)
from matching.engine.scoring import StageMode, score_pairs

TARGET_GAP = 0.05


def peer_scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    features = synthetic_problem(n, n, seed=seed)
    scored = score_pairs(features, mode=StageMode.PEER)
    return np.asarray(scored.scores, np.float64), np.asarray(scored.eligible, bool)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peers", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--pairs", type=int, nargs="*", default=[1000, 2000])
    args = parser.parse_args()
    failed = False
    print(
        f"{'instance':<26}{'groups':>7}{'ours':>11}{'bound':>11}{'gap':>8}{'form s':>8}{'bound s':>9}"
    )
    for seed in range(args.seeds):
        scores, eligible = peer_scores(args.peers, seed)
        started, cpu = time.perf_counter(), time.process_time()
        result = form_groups(scores, eligible)
        formed, formed_cpu = time.perf_counter() - started, time.process_time() - cpu
        affinity, compatible = peer_affinity(scores, eligible)
        started, cpu = time.perf_counter(), time.process_time()
        bound = grouping_upper_bound(affinity, compatible)
        bounded, bounded_cpu = time.perf_counter() - started, time.process_time() - cpu
        gap = (bound.value - result.objective) / bound.value if bound.value else 0.0
        failed |= gap > TARGET_GAP
        print(
            f"{f'{args.peers} peers, seed {seed}':<26}{len(result.groups):>7}"
            f"{result.objective:>11.1f}{bound.value:>11.1f}{100 * gap:>7.2f}%"
            f"{formed:>8.2f}{formed_cpu:>7.2f}{bounded:>9.2f}{bounded_cpu:>7.2f}"
            + ("" if bound.converged else f"  (bound after {bound.rounds} rounds)")
        )
    for n in args.pairs:
        scores, eligible = peer_scores(n, 0)
        started, cpu = time.perf_counter(), time.process_time()
        pairing = pair_peers_at_scale(scores, eligible)
        took, took_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"peer pairs, {n} peers: {len(pairing.pairs)} pairs, mean fit "
            f"{pairing.total / max(len(pairing.pairs), 1):.1f}, {took:.2f} s "
            f"({took_cpu:.2f} s CPU)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
