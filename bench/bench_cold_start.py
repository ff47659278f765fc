"""First proposal after a worker starts, in a fresh process (issue 12, item 3).

    python bench/bench_cold_start.py              # demo size: 200 mentees x 50 mentors
    python bench/bench_cold_start.py --mentees 40 --mentors 12

Each case runs in a new Python process, as a worker does after a restart: it imports the
engine, runs what the worker runs at start (``warm_up``, which the Celery app calls in every
worker process), then times the first proposal (scoring plus the exact assignment). Cases:
with numba's cache filled (as after ``python -m matching.engine.warmup`` at install), and with
an empty cache (what a worker would pay if nothing had been compiled ahead). Wall and CPU time
are printed: on a shared machine the wall time includes waiting for a core. Target: the first
proposal <= 5 s; exits 1 if it is missed with the cache filled.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 5.0

CHILD = """
import json, sys, time
wall0, cpu0 = time.perf_counter(), time.process_time()
from matching.engine.warmup import warm_up
from matching.engine.features import synthetic_problem
from matching.engine.scoring import score_pairs
from matching.engine.solvers import assign_with_capacities
warm_up()
start_wall, start_cpu = time.perf_counter(), time.process_time()
features = synthetic_problem({n}, {m}, seed=3)
scored = score_pairs(features)
result = assign_with_capacities(scored.scores, scored.eligible, features.mentor_capacity)
print(json.dumps({{
    "start_wall": start_wall - wall0, "start_cpu": start_cpu - cpu0,
    "first_wall": time.perf_counter() - start_wall, "first_cpu": time.process_time() - start_cpu,
    "proven": result.proven_optimal,
}}))
"""


def run_child(n: int, m: int, cache_dir: str | None) -> dict:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(n=n, m=m)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int, default=200)
    parser.add_argument("--mentors", type=int, default=50)
    args = parser.parse_args()
    with open(os.devnull, "w") as sink:
        subprocess.run(
            [sys.executable, "-m", "matching.engine.warmup"], cwd=ROOT, stdout=sink, check=True
        )
    ok = True
    with tempfile.TemporaryDirectory() as empty:
        for label, cache in (("cache filled at install", None), ("empty cache", empty)):
            r = run_child(args.mentees, args.mentors, cache)
            passed = r["first_wall"] <= TARGET_SECONDS and r["proven"]
            if cache is None:
                ok &= passed
            print(
                f"{label:<24} worker start (import + warm-up) {r['start_wall']:6.2f} s wall "
                f"/ {r['start_cpu']:6.2f} s CPU; first proposal {args.mentees} x {args.mentors}: "
                f"{r['first_wall']:.3f} s wall / {r['first_cpu']:.3f} s CPU"
                + (
                    f"  {'PASS' if passed else 'FAIL'} (<= {TARGET_SECONDS:g} s)"
                    if cache is None
                    else ""
                ),
                flush=True,
            )
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
