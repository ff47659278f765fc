"""Benchmark of the matching engine's pure core: scoring, exact assignment, mosaic boards.

    python bench/bench_matching.py                 # 10,000 mentees x 2,000 mentors (minutes)
    python bench/bench_matching.py --quick         # 1,000 x 200, seconds
    python bench/bench_matching.py --mentees 5000 --mentors 1000 --seed 3

Everything is measured in this run, on this machine. Each timed step runs ``--repeat`` times
and the median is judged (the first run is printed too); numba's one-off compilation or cache
load is timed separately as warm-up. Exact references are independent of the engine:
``scipy.optimize.linear_sum_assignment`` on the capacity-expanded matrix with one private
"unmatched" column per mentee, and a HiGHS integer program for mosaic boards. Totals are
compared on the quantised objective (integer units of 0.001 point), where they must be equal;
raw float totals must agree within 0.0005 point per pair. Exits 1 if any target or check fails.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.engine.features import board_areas, synthetic_problem
from matching.engine.scoring import score_mosaic, score_pairs
from matching.engine.solvers import (
    assign_mosaic,
    assign_with_capacities,
    extract_candidates,
    quantise,
)

SCORING_SECONDS = 1.0
SCORING_BYTES = 1 << 30
ASSIGN_SECONDS = 1.5
MOSAIC_SECONDS = 2.0
FLOAT_TOLERANCE_PER_PAIR = 0.0005


class Report:
    """Collects PASS/FAIL lines; the exit code is 1 if any check failed."""

    def __init__(self) -> None:
        self.failed = False

    def check(self, label: str, ok: bool, detail: str) -> None:
        self.failed |= not ok
        print(f"  [{'PASS' if ok else 'FAIL'}] {label}: {detail}")


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, list[float]]:
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, times


def describe(times: list[float]) -> str:
    return (
        f"median {statistics.median(times):.3f} s (first {times[0]:.3f}, all "
        + ", ".join(f"{t:.3f}" for t in times)
        + ")"
    )


def rss_high_water_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_rss_high_water() -> bool:
    """Linux lets a process reset its peak RSS (``VmHWM``) by writing 5 to clear_refs."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def current_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_memory(fn: Callable[[], Any]) -> tuple[int, int | None]:
    """(tracemalloc peak bytes, RSS high-water increase in bytes or None if not resettable)."""
    gc.collect()
    resettable = reset_rss_high_water()
    rss_before = current_rss_kib()
    tracemalloc.start()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = max(rss_high_water_kib() - rss_before, 0) * 1024 if resettable else None
    del result
    return peak, rss_peak


def reference_assignment(scores: np.ndarray, eligible: np.ndarray, caps: np.ndarray) -> int:
    """Exact optimum (quantised units) via linear_sum_assignment on the expanded matrix."""
    n = scores.shape[0]
    useful = np.flatnonzero((caps > 0) & eligible.any(axis=0))
    slots = np.repeat(useful, caps[useful])
    forbidden = -1e12
    matrix = np.full((n, len(slots) + n), forbidden)
    q = quantise(scores[:, slots]).astype(np.float64)
    matrix[:, : len(slots)] = np.where(eligible[:, slots], q, forbidden)
    del q
    matrix[np.arange(n), len(slots) + np.arange(n)] = 0
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    return round(matrix[rows, cols].sum())


def reference_mosaic(
    scores: np.ndarray, eligible: np.ndarray, caps: np.ndarray, areas: np.ndarray
) -> int:
    """Exact optimum (quantised units) of a mosaic instance as a HiGHS integer program."""
    n, seats, m = scores.shape
    usable = eligible & (areas >= 0)[:, :, None] & (caps > 0)[None, None, :]
    i, s, j = np.nonzero(usable)
    q = quantise(scores[i, s, j]).astype(np.float64)
    k = np.arange(len(q))
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
    return round(q @ np.round(result.x))


def bench_assignment(args: argparse.Namespace, report: Report) -> Callable[[], None] | None:
    """Times scoring and assignment; returns the (slow) reference check to run last."""
    n, m = args.mentees, args.mentors
    print(f"\n== One mentor per mentee: {n} mentees x {m} mentors, seed {args.seed}")
    start = time.perf_counter()
    features = synthetic_problem(n, m, seed=args.seed)
    print(f"  synthetic features built in {time.perf_counter() - start:.2f} s (not a target)")

    def scoring_step() -> tuple[Any, Any]:
        scored = score_pairs(features)
        return scored, extract_candidates(scored.scores, scored.eligible, per_mentee=10)

    (scored, _), score_times = timed(scoring_step, args.repeat)
    print(f"  scoring {n * m:,} pairs + top-10 candidates per mentee: {describe(score_times)}")
    traced, rss = measure_memory(scoring_step)
    rss_text = f"{rss / 2**20:.0f} MiB" if rss is not None else "n/a"
    print(
        f"  memory of that step: tracemalloc peak {traced / 2**20:.0f} MiB (numpy arrays "
        f"allocated during the step), RSS high-water increase {rss_text} (resident memory "
        f"above what the process held before, reset via /proc/self/clear_refs)"
    )
    report.check(
        "scoring + candidates <= 1 s",
        statistics.median(score_times) <= SCORING_SECONDS,
        f"{statistics.median(score_times):.3f} s",
    )
    report.check(
        "scoring peak memory <= 1 GB",
        max(traced, rss or 0) <= SCORING_BYTES,
        f"{max(traced, rss or 0) / 2**20:.0f} MiB",
    )

    caps = features.mentor_capacity
    start = time.perf_counter()
    assign_with_capacities(scored.scores[:40, :12], scored.eligible[:40, :12], caps[:12])
    print(f"  warm-up (numba compile or cache load): {time.perf_counter() - start:.2f} s")
    result, assign_times = timed(
        lambda: assign_with_capacities(scored.scores, scored.eligible, caps), args.repeat
    )
    print(
        f"  assignment: {describe(assign_times)}; matched {len(result.mentee):,}, "
        f"unmatched {len(result.unmatched):,}, total {result.total:.3f} points "
        f"({result.total_units:,} units), proven optimal {result.proven_optimal} after "
        f"{result.rounds} certificate round(s), pruned graph {result.pruned_pairs:,} pairs"
    )
    report.check(
        "assignment <= 1.5 s",
        statistics.median(assign_times) <= ASSIGN_SECONDS,
        f"{statistics.median(assign_times):.3f} s",
    )
    report.check("assignment optimality certificate", result.proven_optimal, "dual check")
    if args.no_reference:
        print("  reference skipped (--no-reference)")
        return None
    return lambda: check_assignment_reference(scored, caps, result, assign_times, report)


def check_assignment_reference(
    scored: Any, caps: np.ndarray, result: Any, assign_times: list[float], report: Report
) -> None:
    print("\n== Reference for one mentor per mentee")
    print("  linear_sum_assignment on the capacity-expanded matrix ...", flush=True)
    start = time.perf_counter()
    reference = reference_assignment(scored.scores, scored.eligible, caps)
    reference_seconds = time.perf_counter() - start
    ours = statistics.median(assign_times)
    print(
        f"  reference: {reference_seconds:.2f} s, total {reference:,} units; ours "
        f"{ours:.3f} s = {ours / reference_seconds:.4f} x the reference "
        f"({reference_seconds / ours:.0f} times faster)"
    )
    report.check(
        "assignment total equals reference",
        result.total_units == reference,
        f"{result.total_units:,} vs {reference:,} units",
    )
    float_gap = abs(result.total - reference / 1000)
    report.check(
        "float total within tolerance",
        float_gap <= FLOAT_TOLERANCE_PER_PAIR * max(len(result.mentee), 1),
        f"|{result.total:.3f} - {reference / 1000:.3f}| = {float_gap:.4f} points",
    )


def bench_mosaic(args: argparse.Namespace, report: Report) -> None:
    n, m = args.mentees, args.mentors
    print(f"\n== Mosaic boards: {n} mentees x 3 seats x {m} mentors, seed {args.seed}")
    features = synthetic_problem(n, m, seed=args.seed)
    areas = board_areas(features, seats=3, fill=True)
    start = time.perf_counter()
    area_scores, eligible = score_mosaic(features, areas)
    print(
        f"  scoring {area_scores.size:,} seat-mentor pairs: {time.perf_counter() - start:.2f} s"
        " (not a target)"
    )
    caps = features.mentor_capacity
    assign_mosaic(area_scores[:30, :, :12], eligible[:30, :, :12], caps[:12], areas[:30])
    result, times = timed(lambda: assign_mosaic(area_scores, eligible, caps, areas), args.repeat)
    print(
        f"  mosaic: {describe(times)}; seats filled {len(result.mentee):,} of "
        f"{int((areas >= 0).sum()):,}, total {result.total:.3f} points, proven optimal "
        f"{result.proven_optimal} after {result.rounds} certificate round(s)"
    )
    report.check(
        "mosaic <= 2 s",
        statistics.median(times) <= MOSAIC_SECONDS,
        f"{statistics.median(times):.3f} s",
    )
    report.check(
        "mosaic optimality certificate at full size",
        result.proven_optimal,
        "dual check over every (mentee, seat, mentor)",
    )


def check_mosaic_reference(args: argparse.Namespace, report: Report) -> None:
    print("\n== Reference for mosaic boards")
    n, m = args.mentees, args.mentors
    rn, rm = args.mosaic_reference_mentees, args.mosaic_reference_mentors
    print(
        f"  reference: a {rn} x 3 x {rm} instance as a HiGHS integer program (the full size, "
        f"{3 * n * m:,} variables, is out of its reach) ..."
    )
    small = synthetic_problem(rn, rm, seed=args.seed)
    small_areas = board_areas(small, seats=3, fill=True)
    small_scores, small_eligible = score_mosaic(small, small_areas)
    ours_result, ours_times = timed(
        lambda: assign_mosaic(small_scores, small_eligible, small.mentor_capacity, small_areas), 1
    )
    start = time.perf_counter()
    reference = reference_mosaic(small_scores, small_eligible, small.mentor_capacity, small_areas)
    reference_seconds = time.perf_counter() - start
    print(
        f"  reference: {reference_seconds:.2f} s, total {reference:,} units; ours "
        f"{ours_times[0]:.3f} s, total {ours_result.total_units:,} units"
    )
    report.check(
        "mosaic total equals reference",
        ours_result.total_units == reference,
        f"{ours_result.total_units:,} vs {reference:,} units",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--mentors", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 x 200 instead")
    parser.add_argument("--no-reference", action="store_true", help="skip the slow references")
    parser.add_argument("--mosaic-reference-mentees", type=int, default=600)
    parser.add_argument("--mosaic-reference-mentors", type=int, default=120)
    args = parser.parse_args()
    if args.quick:
        args.mentees, args.mentors = 1_000, 200
        args.mosaic_reference_mentees, args.mosaic_reference_mentors = 200, 40
    report = Report()
    # Timed steps first; the references (minutes, gigabytes) run last so that they cannot
    # disturb the timings.
    assignment_reference = bench_assignment(args, report)
    bench_mosaic(args, report)
    if assignment_reference is not None:
        assignment_reference()
        check_mosaic_reference(args, report)
    print("\nRESULT:", "FAIL" if report.failed else "PASS")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
