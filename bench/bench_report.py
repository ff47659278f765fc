"""Benchmark of the charts and the program report (issue 15).

Uses the data of `bench_dashboard.py` (seeded once, deterministically, into a PostgreSQL
database of its own: one program of 5,000 faculty, 3,000 relationships, 50,000 meetings, with
reviews and risk flags), then:

1. every chart of the dashboard, of the program report and of the all-programs report, drawn
   from that data: the first and the median time to render each to SVG (target: median ≤ 100 ms
   per chart);
2. the full program report as PDF and then as XLSX, through the real export service, in one
   fresh process (a worker given both: the rows are read once and shared): time, CPU time and
   peak RSS per format and together (targets: PDF + XLSX ≤ 10 s, ≤ 300 MB peak);
3. the admin's all-programs report of the same institution, PDF then XLSX, likewise (the same
   targets).

Prints PASS/FAIL per target, judged on wall time, and exits 1 when one is missed. The machine is
shared (2 cores), so wall figures move with the load of others: the CPU time is printed beside
them with the load average (on an idle machine the two are close; under a load average of 7 the
wall time was 3-4 times the CPU time).

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


def _institution_charts() -> list:  # type: ignore[type-arg]
    from programs.exports.reports import build_institution_report
    from programs.models import Program, RelationshipRisk, ReviewRequest
    from programs.selectors.reports import institution_report_data

    program = Program.objects.select_related("institution").get(name=data.PROGRAM)
    report = build_institution_report(
        institution_report_data(
            institution=program.institution,
            start=date.today() - timedelta(days=365),
            end=date.today(),
            risks=RelationshipRisk.objects.all(),
            review_requests=ReviewRequest.objects.all(),
        )
    )
    return report.charts


def chart_test(repeat: int) -> None:
    from dataclasses import replace

    charts = _dashboard_charts() + _report_charts() + _institution_charts()
    # The first drawing of the process loads matplotlib's fonts: not timed.
    replace(charts[0], title="warm-up", labels=["warm-up"]).svg_text  # noqa: B018
    worst_wall = worst_cpu = 0.0
    print(f"      load average {_load()}", flush=True)
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
        # The first render measures every text afresh; later ones reuse the text sizes.
        print(
            f"      {chart.kind:8} {len(chart.labels):3} labels  first {1000 * walls[0]:6.1f} ms "
            f"wall {1000 * cpus[0]:6.1f} ms CPU; median {wall_ms:6.1f} ms wall {cpu_ms:6.1f} ms "
            f"CPU  {chart.title[:50]}",
            flush=True,
        )
    target(
        f"render one chart ({len(charts)} charts, median of {repeat})",
        worst_wall <= 100,
        f"slowest {worst_wall:.0f} ms wall, {worst_cpu:.0f} ms CPU (≤ 100 ms)",
    )


def _load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def _admin():  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    return users.filter(email="bench-admin@bench.test").first() or users.create_user(
        "bench-admin@bench.test", is_institution_admin=True
    )


def export_child(scope: str) -> None:
    """In a fresh process, as one worker given both: the report of `scope` ("program" or
    "institution") as PDF and then as XLSX; print time, CPU time and peak memory of each."""
    import resource

    from programs.models import ExportKind, Program, ReportExport
    from programs.services.reports import report_export_run

    program = Program.objects.select_related("institution").get(name=data.PROGRAM)
    for fmt in ("pdf", "xlsx"):
        if scope == "program":
            export = ReportExport.objects.create(
                program=program,
                requested_by=data.director_user(),
                format=fmt,
                period_start=date.today() - timedelta(days=365),
                period_end=date.today(),
            )
        else:
            export = ReportExport.objects.create(
                institution=program.institution,
                kind=ExportKind.INSTITUTION_REPORT,
                requested_by=_admin(),
                format=fmt,
                period_start=date.today() - timedelta(days=365),
                period_end=date.today(),
            )
        started, cpu = time.perf_counter(), time.process_time()
        assert report_export_run(export_id=export.pk)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        export.refresh_from_db()
        print(f"EXPORT {fmt} {seconds:.3f} {cpu_seconds:.3f} {rss_mb:.1f} {export.file.size}")


def export_test(scope: str, label: str) -> None:
    out = subprocess.run(
        [sys.executable, __file__, "--export-child", scope],
        capture_output=True,
        text=True,
        check=True,
        # A worker shares a report's rows between its PDF and its Excel (the test settings
        # the bench runs with turn the sharing off for the test suite).
        env={**os.environ, "MENTORSHIP_REPORT_SHARE_SECONDS": "300"},
    ).stdout
    total = cpu_total = peak = 0.0
    for line in (line for line in out.splitlines() if line.startswith("EXPORT")):
        fmt, *figures = line.split()[1:]
        seconds, cpu, rss, size = (float(v) for v in figures)
        total, cpu_total, peak = total + seconds, cpu_total + cpu, max(peak, rss)
        print(
            f"      {label} {fmt.upper()}: {seconds:.2f} s wall, {cpu:.2f} s CPU, "
            f"peak RSS {rss:.0f} MB, {size / 1024:.0f} KiB (load average {_load()})",
            flush=True,
        )
    target(
        f"{label} PDF + XLSX: time",
        total <= 10,
        f"{total:.2f} s wall, {cpu_total:.2f} s CPU (≤ 10 s)",
    )
    target(f"{label} PDF + XLSX: peak memory", peak <= 300, f"{peak:.0f} MB RSS (≤ 300 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="renders per chart")
    parser.add_argument(
        "--export-child", choices=["program", "institution"], help=argparse.SUPPRESS
    )
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
    export_test("program", "full program report")
    export_test("institution", "all-programs report")
    failed = [name for name, ok, _ in RESULTS if not ok]
    print(f"\n{len(RESULTS) - len(failed)} of {len(RESULTS)} targets met.")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
