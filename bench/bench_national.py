"""National scale: an exact one-to-one proposal for a consortium (issue 12, item 2).

    python bench/bench_national.py                     # 50,000 mentees x 10,000 mentors
    python bench/bench_national.py --mentees 5000 --mentors 1000

Builds the project's synthetic cohort (``synthetic_problem``, default weights), then proposes
an exact one-to-one assignment with :func:`blocks.assign_in_blocks`, which scores a block of
mentee rows at a time (:class:`scoring.RowScorer`'s scores, computed and selected from in the
fused kernels of :mod:`fused`) and never holds every pair. Prints the time
of each step, the rounds of the optimality check, the rows scored again, the peak memory of
the process (``resource.getrusage``: the high-water resident set, building the cohort
included) and the load average. Checks the result: the certificate passed, capacities and
eligibility respected, the total equals the sum of the chosen pairs' quantised scores. Exit 1 on
a failed check or a missed target (<= 30 s from cohort to certified result, <= 8 GB peak).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.engine.blocks import assign_in_blocks
from matching.engine.features import synthetic_problem
from matching.engine.scoring import RowScorer
from matching.engine.solvers import Assignment, quantise
from matching.engine.warmup import warm_up

TARGET_SECONDS = 30.0
TARGET_BYTES = 8 * 1024**3


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int, default=50_000)
    parser.add_argument("--mentors", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--per-mentee", type=int, default=24)
    args = parser.parse_args()
    print(f"warm-up: {warm_up():.1f} s; load: {_load()}", flush=True)
    start = time.perf_counter()
    features = synthetic_problem(args.mentees, args.mentors, seed=args.seed)
    print(f"cohort built: {time.perf_counter() - start:.1f} s", flush=True)
    steps: list[tuple[float, str]] = []
    last = [time.perf_counter()]

    def progress(fraction: float, message: str) -> None:
        now = time.perf_counter()
        if not steps or steps[-1][1] != message:
            steps.append((now - last[0], message))
            last[0] = now

    wall0, cpu0 = time.perf_counter(), time.process_time()
    scorer = RowScorer(features)
    result = assign_in_blocks(
        scorer,
        scorer.shape,
        features.mentor_capacity,
        per_mentee=args.per_mentee,
        on_progress=progress,
    )
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    for seconds, message in [*steps[1:], (time.perf_counter() - last[0], "done")]:
        print(f"  {seconds:7.2f} s  until: {message}")
    problems = _check(scorer, features.mentor_capacity, result)
    peak = _peak_bytes()
    if not result.proven_optimal:
        problems.append("certificate failed")
    if wall > TARGET_SECONDS:
        problems.append(f"{wall:.1f} s > {TARGET_SECONDS:g} s")
    if peak > TARGET_BYTES:
        problems.append(f"peak {peak / 1024**3:.2f} GB > 8 GB")
    print(
        f"national   {args.mentees:,} x {args.mentors:,} one-to-one, blocks: {wall:.2f} s wall "
        f"({cpu:.1f} s CPU), total {result.total_units:,} units, {len(result.mentee):,} pairs, "
        f"{len(result.unmatched):,} unmatched, {result.rounds} rounds, "
        f"{result.pruned_pairs:,} pairs kept, peak memory {peak / 1024**3:.2f} GB, "
        f"proven {result.proven_optimal}; load at the end: {_load()}"
    )
    print("RESULT:", "PASS" if not problems else "FAIL (" + "; ".join(problems) + ")")
    return 0 if not problems else 1


def _check(scorer: RowScorer, caps: np.ndarray, result: Assignment) -> list[str]:
    problems = []
    if len(np.unique(result.mentee)) != len(result.mentee):
        problems.append("a mentee has two mentors")
    if (np.bincount(result.mentor, minlength=len(caps)) > caps).any():
        problems.append("a capacity is exceeded")
    total = 0
    for start in range(0, len(result.mentee), 4096):
        rows = result.mentee[start : start + 4096]
        cols = result.mentor[start : start + 4096]
        scores, eligible = scorer(rows)
        picked = np.arange(len(rows))
        if not eligible[picked, cols].all():
            problems.append("an ineligible pair was proposed")
        total += int(quantise(scores[picked, cols]).sum())
    if total != result.total_units:
        problems.append(f"total {result.total_units} is not the pairs' sum {total}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
