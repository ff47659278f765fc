"""Benchmark of the directors' pages and the program report (issue 7).

Seeds — reproducibly, with bulk inserts — a PostgreSQL database of its own with one program of
5,000 faculty, 3,000 relationships and 50,000 meetings (plus reviews and risk flags), then:

1. in process, with Django's test client: the query count and median time of the dashboard and
   of the relationships table (targets: ≤ 12 queries, ≤ 150 ms median);
2. on loopback, gunicorn + wrk with a signed-in session cookie: requests/s and p95 of the
   dashboard beside a trivial signed-in page of the same app, in the same run (target: the
   dashboard holds 50 requests/s with p95 ≤ 200 ms);
3. the full program report as CSV, in a separate process: time and peak memory (targets:
   ≤ 10 s, ≤ 200 MB).

Prints PASS/FAIL per target. The machine is shared, so figures move with the load of others.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dashboard .venv/bin/python bench/bench_dashboard.py
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from mentorship.accounts.models import User

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_dashboard"
os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
os.environ["DJANGO_SETTINGS_MODULE"] = "mentorship.settings.test"

FACULTY, RELATIONSHIPS, MEETINGS = 5_000, 3_000, 50_000
PROGRAM = "Bench program"
DIRECTOR_EMAIL = "bench.director@bench.test"
RESULTS: list[tuple[str, bool, str]] = []


def target(name: str, ok: bool, detail: str) -> None:
    RESULTS.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)


def ensure_database() -> None:
    import psycopg2

    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    conn = psycopg2.connect(
        host=url.hostname, port=url.port or 5432, user=url.username or "postgres", dbname="postgres"
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def setup_django() -> None:
    import django

    django.setup()


def seed() -> None:
    """One program with 5,000 faculty, 3,000 relationships and 50,000 meetings. Skipped when
    the program already exists (the seed is deterministic, so it is the same data)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from programs.models import (
        AcademicRank,
        AcademicStream,
        Department,
        FacultyProfile,
        Institution,
        Meeting,
        Membership,
        Program,
        Relationship,
        RelationshipMember,
        RelationshipRisk,
        ReviewInstrument,
        ReviewRequest,
        ReviewResponse,
        Role,
    )

    if Program.objects.filter(name=PROGRAM).exists():
        print("Seed: already present.", flush=True)
        return
    started = time.perf_counter()
    rng = random.Random(20261121)
    User = get_user_model()
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        institution, _ = Institution.objects.get_or_create(
            name="Bench University", defaults={"is_home": True, "email_domains": ["bench.test"]}
        )
        departments = [
            Department.objects.get_or_create(institution=institution, name=f"Department {i}")[0]
            for i in range(12)
        ]
        ranks = list(AcademicRank.objects.all())
        streams = list(AcademicStream.objects.all())
        program = Program.objects.create(
            institution=institution, name=PROGRAM, allowed_models=["one_to_one"]
        )
        unusable = "!"  # Django's marker for "no usable password"
        users = User.objects.bulk_create(
            [User(email=f"bench{i}@bench.test", password=unusable) for i in range(FACULTY)]
            + [User(email=DIRECTOR_EMAIL, password=unusable)],
            batch_size=2000,
        )
        genders = ["woman", "man", "woman", "man", "non_binary", ""]
        profiles = FacultyProfile.objects.bulk_create(
            [
                FacultyProfile(
                    user=u,
                    given_name=f"Given{i}",
                    family_name=f"Family{i:05d}",
                    institution=institution,
                    department=rng.choice(departments),
                    rank=rng.choice(ranks) if ranks else None,
                    stream=rng.choice(streams) if streams else None,
                    gender=rng.choice(genders),
                )
                for i, u in enumerate(users)
            ],
            batch_size=2000,
        )
        director = profiles[-1]
        mentees, mentors = profiles[:3_200], profiles[3_200:FACULTY]
        joined = now - timedelta(days=500)
        Membership.objects.bulk_create(
            [Membership(program=program, person=p, role=Role.MENTEE) for p in mentees]
            + [
                Membership(
                    program=program, person=p, role=Role.MENTOR, mentor_capacity=rng.randint(1, 3)
                )
                for p in mentors
            ]
            + [Membership(program=program, person=director, role=Role.DIRECTOR)],
            batch_size=2000,
        )
        Membership.objects.filter(program=program).update(joined_at=joined)
        stages = (
            ["pilot"] * 3 + ["active"] * 12 + ["concluding"] + ["concluded"] * 2 + ["ended"] * 2
        )
        relationships = []
        for _ in range(RELATIONSHIPS):
            started_on = today - timedelta(days=rng.randint(10, 480))
            stage = rng.choice(stages)
            ended_at = None
            if stage in ("concluded", "ended"):
                ended_at = now - timedelta(
                    days=rng.randint(0, max(1, (today - started_on).days - 1))
                )
            relationships.append(
                Relationship(
                    program=program,
                    kind="one_to_one",
                    stage=stage,
                    started_on=started_on,
                    pilot_ends_on=started_on + timedelta(days=90),
                    ended_at=ended_at,
                    outcome={"concluded": "concluded", "ended": "ended_early"}.get(stage, ""),
                    source="manual",
                )
            )
        relationships = Relationship.objects.bulk_create(relationships, batch_size=2000)
        members = []
        for i, r in enumerate(relationships):
            members.append(
                RelationshipMember(relationship=r, person=mentees[i % 2_900], side="mentee")
            )
            members.append(
                RelationshipMember(relationship=r, person=mentors[i % len(mentors)], side="mentor")
            )
        RelationshipMember.objects.bulk_create(members, batch_size=5000)
        meetings = []
        for _ in range(MEETINGS):
            r = relationships[rng.randrange(RELATIONSHIPS)]
            offset = rng.randint(-30, (today - r.started_on).days)
            starts_at = datetime.combine(
                r.started_on, datetime.min.time(), tzinfo=now.tzinfo
            ) + timedelta(
                days=offset if offset > 0 else (today - r.started_on).days + 1 - offset,
                hours=rng.randint(8, 17),
            )
            future = starts_at > now
            meetings.append(
                Meeting(
                    relationship=r,
                    starts_at=starts_at,
                    mode=rng.choice(["in_person", "video", "video", "phone"]),
                    status="scheduled"
                    if future
                    else rng.choice(["held"] * 8 + ["cancelled", "check_in"]),
                )
            )
        Meeting.objects.bulk_create(meetings, batch_size=5000)
        instrument = ReviewInstrument.objects.create(name="Bench instrument")
        requests = ReviewRequest.objects.bulk_create(
            [
                ReviewRequest(
                    relationship=m.relationship,
                    respondent=m.person,
                    instrument=instrument,
                    cycle=0,
                    opens_on=m.relationship.started_on + timedelta(days=83),
                    closes_on=m.relationship.started_on + timedelta(days=104),
                    completed_at=now if rng.random() < 0.7 else None,
                )
                for m in members
                if (today - m.relationship.started_on).days > 90
            ],
            batch_size=5000,
        )
        responses = ReviewResponse.objects.bulk_create(
            [
                ReviewResponse(request=q, choice="continue", score=round(rng.uniform(1.5, 5.0), 2))
                for q in requests
                if q.completed_at
            ],
            batch_size=5000,
        )
        RelationshipRisk.objects.bulk_create(
            [
                RelationshipRisk(
                    relationship=resp.request.relationship, reason="low_score", review=resp
                )
                for resp in responses
                if resp.score < 2
            ][:200]
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Seed: {time.perf_counter() - started:.1f} s", flush=True)


def director_user() -> User:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email=DIRECTOR_EMAIL)


def in_process(repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from programs.models import Program

    program = Program.objects.get(name=PROGRAM)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(director_user())
    pages = {
        "dashboard": reverse("program_dashboard", args=[program.pk]),
        "relationships table": reverse("program_relationships", args=[program.pk]),
        "relationships table, filtered (at risk, sorted by last met)": reverse(
            "program_relationships", args=[program.pk]
        )
        + "?at_risk=1&stage=open&sort=last_met",
    }
    for name, url in pages.items():
        assert client.get(url).status_code == 200  # warm up; stores the time zone in the session
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        queries = len(captured)
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        median = statistics.median(times)
        target(f"{name}: queries", queries <= 12, f"{queries} (≤ 12)")
        target(
            f"{name}: median in process",
            median <= 150,
            f"{median:.0f} ms (≤ 150 ms; {repeat} requests)",
        )


WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("ERRORS %d %d\\n", summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def load_test(seconds: int, connections: int, workers: int) -> None:
    import shutil

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import reverse

    from programs.models import Program

    if not shutil.which("wrk"):
        print("SKIP  load test: wrk is not installed (apt-get install wrk)")
        return
    user = director_user()
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["mentorship_tz"] = "UTC"
    session.save()
    program = Program.objects.get(name=PROGRAM)
    port = 18000 + os.getpid() % 1000
    # As in production: the dashboard's figures are cached for a minute per program and viewer
    # (the in-process figures above are uncached: every request recomputes).
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mentorship.settings.test",
        "DATABASE_CONN_MAX_AGE": "600",
        "MENTORSHIP_DASHBOARD_CACHE_SECONDS": "60",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "mentorship.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        import urllib.request

        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(WRK_SCRIPT)
            script = fh.name
        pages = {
            "trivial signed-in page (/programs/)": reverse("programs:list"),
            "dashboard": reverse("program_dashboard", args=[program.pk]),
        }
        results = {}
        for name, path in pages.items():
            # Warm every worker's connection and caches.
            subprocess.run(
                ["wrk", "-t1", f"-c{workers}", "-d2s", "-H", f"Cookie: {cookie}", base + path],
                capture_output=True,
                check=False,
            )
            out = subprocess.run(
                [
                    "wrk",
                    "-t2",
                    f"-c{connections}",
                    f"-d{seconds}s",
                    "--timeout",
                    "5s",
                    "-s",
                    script,
                    "-H",
                    f"Cookie: {cookie}",
                    base + path,
                ],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            line = next(line for line in out.splitlines() if line.startswith("RESULT"))
            errors = next(line for line in out.splitlines() if line.startswith("ERRORS"))
            count, duration_us, p50, p95, p99 = line.split()[1:]
            rps = int(count) / (int(duration_us) / 1e6)
            results[name] = (rps, float(p50), float(p95), float(p99), errors)
            print(
                f"      {name}: {rps:.0f} requests/s, p50 {float(p50):.0f} ms, p95 {float(p95):.0f} ms, "
                f"p99 {float(p99):.0f} ms ({connections} connections, {seconds} s, {workers} workers; {errors})",
                flush=True,
            )
        rps, _, p95, _, errors = results["dashboard"]
        ok_errors = errors.split()[1:] == ["0", "0"]
        target(
            "dashboard under load: throughput",
            rps >= 50 and ok_errors,
            f"{rps:.0f} requests/s (≥ 50)",
        )
        target("dashboard under load: p95", p95 <= 200, f"{p95:.0f} ms (≤ 200 ms)")
        os.unlink(script)
    finally:
        server.terminate()
        server.wait(timeout=20)


def export_child() -> None:
    """Run in a fresh process: export the full report as CSV; print time and peak memory."""
    import resource
    import tracemalloc

    from programs.models import Program, ReportExport
    from programs.services.reports import report_export_run

    program = Program.objects.get(name=PROGRAM)
    export = ReportExport.objects.create(
        program=program,
        requested_by=director_user(),
        format="csv",
        period_start=date(2000, 1, 1),
        period_end=date.today(),
    )
    tracemalloc.start()
    started = time.perf_counter()
    assert report_export_run(export_id=export.pk)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    export.refresh_from_db()
    size = export.file.size
    lines = sum(1 for _ in export.file.open("rb"))
    print(f"EXPORT {seconds:.3f} {rss_mb:.1f} {peak / 1024 / 1024:.1f} {size} {lines}")


def export_test() -> None:
    out = subprocess.run(
        [sys.executable, __file__, "--export-child"],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("EXPORT"))
    seconds, rss, traced, size, lines = line.split()[1:]
    print(
        f"      full report CSV: {int(size) / 1024:.0f} KiB, {lines} lines; peak RSS of the exporting "
        f"process {float(rss):.0f} MB (Python heap peak {float(traced):.0f} MB)",
        flush=True,
    )
    target("full report CSV export: time", float(seconds) <= 10, f"{float(seconds):.2f} s (≤ 10 s)")
    target(
        "full report CSV export: peak memory",
        float(rss) <= 200,
        f"{float(rss):.0f} MB RSS (≤ 200 MB)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests per page in process")
    parser.add_argument("--seconds", type=int, default=15, help="duration of each load run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--export-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        setup_django()
        export_child()
        return
    if "postgres" not in os.environ["DATABASE_URL"]:
        sys.exit("This benchmark needs PostgreSQL (DATABASE_URL=postgres://…).")
    ensure_database()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed()
    print(
        f"Data: {FACULTY:,} faculty, {RELATIONSHIPS:,} relationships, {MEETINGS:,} meetings",
        flush=True,
    )
    in_process(args.repeat)
    if not args.skip_load:
        load_test(args.seconds, args.connections, args.workers)
    export_test()
    failed = [name for name, ok, _ in RESULTS if not ok]
    print(f"\n{len(RESULTS) - len(failed)} of {len(RESULTS)} targets met.")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
