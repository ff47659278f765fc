"""Benchmark of the charts and the program report (issue 15).

Uses the data of `bench_dashboard.py` (seeded once, deterministically, into a PostgreSQL
database of its own: one program of 5,000 faculty, 3,000 relationships, 50,000 meetings, with
reviews and risk flags), then:

1. every chart of the dashboard and of the report, drawn from that program's figures: the
   median time to render each to SVG (target: ≤ 100 ms per chart);
2. the full program report as PDF and as XLSX, through the real export service, each in a
   fresh process: time and peak RSS, and both together (targets: PDF + XLSX ≤ 10 s in all,
   ≤ 300 MB peak).

Prints PASS/FAIL per target, judged on wall time. The machine is shared (2 cores), so wall
figures move with the load of others: the process's CPU time is printed beside them (on an idle
machine the two are close; under a load average of 12 the wall time was 5-8 times the CPU time).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dashboard .venv/bin/python bench/bench_report.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mentorship.charts import Chart

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_dashboard as data  # noqa: E402 - after the path is set

RESULTS: list[tuple[str, bool, str]] = []


def target(name: str, ok: bool, detail: str) -> None:
    RESULTS.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)


def _report_charts() -> list[Chart]:
    from programs.exports.reports import build_report
    from programs.models import Program, RelationshipRisk, ReviewRequest
    from programs.selectors.reports import report_data

    program = Program.objects.get(name=data.PROGRAM)
    report = build_report(
        report_data(
            program=program,
            start=date.today() - timedelta(days=365),
            end=date.today(),
            risks=RelationshipRisk.objects.all(),
            review_requests=ReviewRequest.objects.all(),
        )
    )
    return report.charts


def _dashboard_charts() -> list[Chart]:
    from programs.exports.charts import match_rate_charts, meetings_chart, score_chart, stages_chart
    from programs.models import Concern, Program, RelationshipRisk, ReviewRequest
    from programs.selectors.dashboard import dashboard_for

    program = Program.objects.get(name=data.PROGRAM)
    c = dashboard_for(
        program=program,
        director_concerns=Concern.objects.all(),
        risks=RelationshipRisk.objects.all(),
        review_requests=ReviewRequest.objects.all(),
    ).charts
    return [
        meetings_chart(c["meetings"], title="Meetings per month"),
        stages_chart(c["stages"]["labels"], c["stages"]["series"], title="Relationships"),
        score_chart(c["scores"], title="Review scores"),
        *match_rate_charts(c["match"]),
    ]


def chart_test(repeat: int) -> None:
    from dataclasses import replace

    charts = _dashboard_charts() + _report_charts()
    charts[0].svg_text  # noqa: B018 - the first drawing loads matplotlib's fonts: not timed
    worst_wall = worst_cpu = 0.0
    for chart in charts:
        walls, cpus = [], []
        for _ in range(repeat):
            fresh = replace(chart)  # a new object: `svg_text` is cached per chart
            wall, cpu = time.perf_counter(), time.process_time()
            fresh.svg_text  # noqa: B018 - what is timed
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        wall_ms, cpu_ms = 1000 * statistics.median(walls), 1000 * statistics.median(cpus)
        worst_wall, worst_cpu = max(worst_wall, wall_ms), max(worst_cpu, cpu_ms)
        print(
            f"      {chart.kind:8} {len(chart.labels):3} labels  {wall_ms:6.1f} ms wall "
            f"{cpu_ms:6.1f} ms CPU  {chart.title[:60]}",
            flush=True,
        )
    target(
        f"render one chart ({len(charts)} charts, median of {repeat})",
        worst_wall <= 100,
        f"slowest {worst_wall:.0f} ms wall, {worst_cpu:.0f} ms CPU (≤ 100 ms)",
    )


def export_child(fmt: str) -> None:
    """In a fresh process: export the full report in `fmt`; print time and peak memory."""
    import resource

    from programs.models import Program, ReportExport
    from programs.services.reports import report_export_run

    program = Program.objects.get(name=data.PROGRAM)
    export = ReportExport.objects.create(
        program=program,
        requested_by=data.director_user(),
        format=fmt,
        period_start=date.today() - timedelta(days=365),
        period_end=date.today(),
    )
    started, cpu = time.perf_counter(), time.process_time()
    assert report_export_run(export_id=export.pk)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    export.refresh_from_db()
    print(f"EXPORT {seconds:.3f} {cpu_seconds:.3f} {rss_mb:.1f} {export.file.size}")


def export_test() -> None:
    total = 0.0
    peak = 0.0
    for fmt in ("pdf", "xlsx"):
        out = subprocess.run(
            [sys.executable, __file__, "--export-child", fmt],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        ).stdout
        line = next(line for line in out.splitlines() if line.startswith("EXPORT"))
        seconds, cpu, rss, size = (float(v) for v in line.split()[1:])
        total += seconds
        peak = max(peak, rss)
        print(
            f"      full report {fmt.upper()}: {seconds:.2f} s wall, {cpu:.2f} s CPU, "
            f"peak RSS {rss:.0f} MB, {size / 1024:.0f} KiB",
            flush=True,
        )
    target("full report PDF + XLSX: time", total <= 10, f"{total:.2f} s (≤ 10 s)")
    target("full report PDF + XLSX: peak memory", peak <= 300, f"{peak:.0f} MB RSS (≤ 300 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="renders per chart")
    parser.add_argument("--export-child", choices=["pdf", "xlsx"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        data.setup_django()
        export_child(args.export_child)
        return
    if "postgres" not in os.environ["DATABASE_URL"]:
        sys.exit("This benchmark needs PostgreSQL (DATABASE_URL=postgres://…).")
    data.ensure_database()
    data.setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    data.seed()
    print(
        f"Data: {data.FACULTY:,} faculty, {data.RELATIONSHIPS:,} relationships, "
        f"{data.MEETINGS:,} meetings",
        flush=True,
    )
    chart_test(args.repeat)
    export_test()
    failed = [name for name, ok, _ in RESULTS if not ok]
    print(f"\n{len(RESULTS) - len(failed)} of {len(RESULTS)} targets met.")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
