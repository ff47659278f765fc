"""Bench: the due-work sweep over 10,000 and then 100,000 relationships (1,000,000 meetings).

Seeds a PostgreSQL database of its own (dropped and recreated; reproducible: fixed random seed)
with COPY, runs `programs.services.reminders.due_work_sweep` and prints the time and the number of
queries — first at 10,000 relationships, then after growing the data to 100,000 — so you can see
the query count does not grow with the data. Each size is swept twice: a "first" sweep on an
empty ledger (it plans everything due and opens the reviews whose window is open) and a
"steady" sweep right after (what beat runs every 5 minutes: nothing new to plan).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_issue6_bench .venv/bin/python bench/bench_sweep.py

Options: --relationships 100000 --meetings-per 10 --small 10000 --keep (reuse the seeded DB).
PASS means every sweep at the full size (first, backlog, steady) took at most 5 s."""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wt_issue6_bench"
LIMIT_SECONDS = 5.0
ZONES = ["America/Toronto", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "Asia/Tokyo"]
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # fixed, so runs are comparable
# The columns the benchmarks fill in the tables they share (the rest take a neutral value).
USER_COLUMNS = ["id", "email", "password", "is_active", "date_joined"]
PROFILE_COLUMNS = [
    "id",
    "user_id",
    "given_name",
    "family_name",
    "time_zone",
    "created_at",
    "updated_at",
]
RELATIONSHIP_COLUMNS = [
    "id",
    "program_id",
    "kind",
    "stage",
    "started_on",
    "pilot_ends_on",
    "source",
    "created_at",
    "roles",
]
MEMBER_COLUMNS = ["id", "relationship_id", "person_id", "side", "joined_at"]
MEETING_COLUMNS = [
    "id",
    "relationship_id",
    "starts_at",
    "duration_minutes",
    "time_zone",
    "status",
    "created_at",
    "checklist",
]


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--relationships", type=int, default=100_000)
    p.add_argument("--meetings-per", type=int, default=10)
    p.add_argument("--small", type=int, default=10_000)
    p.add_argument("--keep", action="store_true", help="reuse an already seeded database")
    return p.parse_args()


def recreate_database(url: str) -> None:
    import environ
    import psycopg2
    from psycopg2 import sql

    config = environ.Env.db_url_config(url)
    admin = psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(config["NAME"])))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    admin.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings.local")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    import django

    django.setup()


# --- COPY helpers ------------------------------------------------------------------------------


class Copier:
    """COPY rows into a table, filling the columns we do not give with a neutral value."""

    def __init__(self, connection: Any) -> None:  # a psycopg connection
        self.connection = connection
        self.columns: dict[str, list[tuple[str, str, str]]] = {}

    def _columns(self, table: str) -> list[tuple[str, str, str]]:
        if table not in self.columns:
            with self.connection.cursor() as c:
                c.execute(
                    "SELECT column_name, is_nullable, data_type FROM information_schema.columns "
                    "WHERE table_name = %s ORDER BY ordinal_position",
                    [table],
                )
                self.columns[table] = c.fetchall()
        return self.columns[table]

    def copy(self, table: str, given: list[str], rows: Iterable[Sequence[Any]]) -> int:
        filler = {}
        for name, nullable, kind in self._columns(table):
            if name in given or name == "id":
                continue
            if nullable == "YES":
                filler[name] = "\\N"
            elif kind in ("integer", "smallint", "bigint", "numeric"):
                filler[name] = "0"
            elif kind == "boolean":
                filler[name] = "f"
            elif kind in ("jsonb", "json"):
                filler[name] = "[]"
            elif kind.startswith("timestamp"):
                filler[name] = NOW.isoformat()
            elif kind == "date":
                filler[name] = NOW.date().isoformat()
            else:
                filler[name] = ""
        columns = given + list(filler)
        tail = "\t".join(filler.values())
        buffer = io.StringIO()
        n = 0
        for row in rows:
            line = "\t".join("\\N" if v is None else str(v) for v in row)
            buffer.write(f"{line}\t{tail}\n" if tail else f"{line}\n")
            n += 1
        buffer.seek(0)
        with self.connection.cursor() as c:
            quoted = ", ".join(f'"{name}"' for name in columns)
            c.copy_expert(f"COPY {table} ({quoted}) FROM STDIN WITH (FORMAT text)", buffer)
        return n

    def next_id(self, table: str) -> int:
        with self.connection.cursor() as c:
            c.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
            return c.fetchone()[0]

    def reset_sequences(self, tables: list[str]) -> None:
        with self.connection.cursor() as c:
            for table in tables:
                c.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )


# --- Seeding -----------------------------------------------------------------------------------


def seed_base(copier: Copier) -> list[int]:
    """One institution, ten programs, two directors each. Returns the program ids."""
    from django.contrib.auth.hashers import make_password

    from programs.models import Institution, Membership, Program, Role
    from programs.services.reviews import default_instrument

    default_instrument()
    institution = Institution.objects.create(name="Bench University")
    programs = [
        Program.objects.create(
            institution=institution, name=f"Program {i}", allowed_models=["one_to_one"]
        )
        for i in range(10)
    ]
    password = make_password(None)
    user_id, profile_id = copier.next_id("accounts_user"), copier.next_id("programs_facultyprofile")
    directors = [(user_id + i, profile_id + i) for i in range(20)]
    copier.copy(
        "accounts_user",
        USER_COLUMNS,
        ((u, f"director{u}@bench.test", password, "t", NOW.isoformat()) for u, _ in directors),
    )
    copier.copy(
        "programs_facultyprofile",
        PROFILE_COLUMNS,
        (
            (p, u, "Dana", f"Director{p}", "America/Toronto", NOW.isoformat(), NOW.isoformat())
            for u, p in directors
        ),
    )
    copier.reset_sequences(["accounts_user", "programs_facultyprofile"])
    Membership.objects.bulk_create(
        Membership(program=programs[i // 2], person_id=p, role=Role.DIRECTOR)
        for i, (_, p) in enumerate(directors)
    )
    return [p.pk for p in programs]


def seed_relationships(
    copier: Copier, program_ids: list[int], count: int, meetings_per: int, rng: random.Random
) -> None:
    """`count` one-to-one relationships, two members each, `meetings_per` meetings each, an
    agreement version, an action item; a mix of stages, rhythms, quiet pairs and time zones."""
    today = NOW.date()
    user0, profile0 = copier.next_id("accounts_user"), copier.next_id("programs_facultyprofile")
    rel0, member0 = (
        copier.next_id("programs_relationship"),
        copier.next_id("programs_relationshipmember"),
    )
    agreement0, version0 = (
        copier.next_id("programs_agreement"),
        copier.next_id("programs_agreementversion"),
    )
    meeting0, item0 = copier.next_id("programs_meeting"), copier.next_id("programs_actionitem")
    mentors = max(count // 3, 1)
    people = count + mentors  # a mentee per relationship; each mentor guides about three
    stamp = NOW.isoformat()
    copier.copy(
        "accounts_user",
        USER_COLUMNS,
        ((user0 + i, f"p{user0 + i}@bench.test", "!", "t", stamp) for i in range(people)),
    )
    copier.copy(
        "programs_facultyprofile",
        PROFILE_COLUMNS,
        (
            (profile0 + i, user0 + i, "Pat", f"Person{i}", ZONES[i % len(ZONES)], stamp, stamp)
            for i in range(people)
        ),
    )
    relationships, members, agreements, versions, meetings, items = [], [], [], [], [], []
    recaps = []
    for i in range(count):
        rid = rel0 + i
        program = program_ids[i % len(program_ids)]
        cadence = rng.choice([30, 30, 42, 61, 91])
        quiet = rng.random() < 0.15
        last_met = today - timedelta(days=rng.randint(100, 240) if quiet else rng.randint(1, 70))
        future = 0 if quiet or rng.random() < 0.5 else 1
        past = meetings_per - future
        days = [last_met - timedelta(days=k * cadence + rng.randint(-5, 5)) for k in range(past)]
        started = min(days) - timedelta(days=rng.randint(1, 20))
        if rng.random() < 0.2:  # a recent pair still in its pilot, reviewed soon
            started = today - timedelta(days=rng.randint(10, 85))
            days = [started + timedelta(days=k * 7) for k in range(past)]
        pilot_ends = started + timedelta(days=90)
        stage = "pilot" if pilot_ends > today else ("ended" if rng.random() < 0.03 else "active")
        relationships.append(
            (rid, program, "one_to_one", stage, started, pilot_ends, "manual", stamp, "[]")
        )
        mentee, mentor = profile0 + i, profile0 + count + rng.randrange(mentors)
        members.append((member0 + 2 * i, rid, mentee, "mentee", stamp))
        members.append((member0 + 2 * i + 1, rid, mentor, "mentor", stamp))
        agreements.append((agreement0 + i, rid, stamp))
        confirmed = stamp if rng.random() < 0.7 else None
        versions.append(
            (
                version0 + i,
                agreement0 + i,
                1,
                cadence,
                "[]",
                today + timedelta(days=90),
                stamp,
                confirmed,
            )
        )
        for k, day in enumerate(sorted(days)):
            hour = rng.choice([13, 15, 17, 19])
            at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
            status = "check_in" if k % 5 == 4 else "held"
            mid = meeting0 + len(meetings)
            meetings.append((mid, rid, at.isoformat(), 60, "UTC", status, stamp, "[]"))
            # Most pairs write and confirm a recap within a couple of days.
            if status == "held" and at < NOW - timedelta(days=2) and rng.random() < 0.8:
                recaps.append((mid, mentee, "We agreed next steps.", stamp, mentor, stamp))
        for _ in range(future):
            at = NOW + timedelta(hours=rng.randint(2, 24 * 30))
            meetings.append(
                (meeting0 + len(meetings), rid, at.isoformat(), 60, "UTC", "scheduled", stamp, "[]")
            )
        due = today + timedelta(days=rng.randint(-20, 30))
        items.append(
            (
                item0 + i,
                rid,
                mentee,
                "Send the draft",
                due,
                "open" if rng.random() < 0.7 else "done",
                stamp,
            )
        )
    copier.copy(
        "programs_relationship",
        RELATIONSHIP_COLUMNS,
        relationships,
    )
    copier.copy(
        "programs_relationshipmember",
        MEMBER_COLUMNS,
        members,
    )
    copier.copy("programs_agreement", ["id", "relationship_id", "created_at"], agreements)
    copier.copy(
        "programs_agreementversion",
        [
            "id",
            "agreement_id",
            "number",
            "cadence_days",
            "modes",
            "review_on",
            "updated_at",
            "confirmed_at",
        ],
        versions,
    )
    copier.copy(
        "programs_meeting",
        MEETING_COLUMNS,
        meetings,
    )
    copier.copy(
        "programs_recap",
        ["meeting_id", "written_by_id", "text", "written_at", "confirmed_by_id", "confirmed_at"],
        recaps,
    )
    copier.copy(
        "programs_actionitem",
        ["id", "relationship_id", "owner_id", "title", "due_on", "status", "created_at"],
        items,
    )
    copier.reset_sequences(
        [
            "accounts_user",
            "programs_facultyprofile",
            "programs_relationship",
            "programs_relationshipmember",
            "programs_agreement",
            "programs_agreementversion",
            "programs_meeting",
            "programs_recap",
            "programs_actionitem",
        ]
    )
    with copier.connection.cursor() as c:
        c.execute("ANALYZE")


# --- Measuring ---------------------------------------------------------------------------------


def measure_all() -> tuple[tuple[float, int, dict[str, int]], ...]:
    """The first sweep on an empty ledger, the sweeps that plan its backlog, then a steady one."""
    first = measure("first")
    drains = []
    while _backlog[0]:
        drains.append(measure("backlog"))
    steady = measure("steady")
    worst_drain = max(drains, default=(0.0, 0, {}))
    return first, worst_drain, steady


_backlog = [0]


def measure(label: str) -> tuple[float, int, dict[str, int]]:
    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programs.services.reminders import due_work_sweep

    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = due_work_sweep(now=NOW)
        elapsed = time.perf_counter() - started
    planned = dict(sorted(result.planned.items()))
    _backlog[0] = result.backlog
    backlog = f", {result.backlog:,} left for the next sweep" if result.backlog else ""
    print(
        f"  {label:<7} {elapsed:6.2f} s (finding {result.seconds_reading:5.2f} s)  "
        f"{len(queries):3d} queries  planned {result.total:>7,} "
        f"notifications, opened {result.review_requests:>6,} reviews, flagged "
        f"{result.quiet_flagged:>5,} quiet{backlog}"
    )
    return elapsed, len(queries), planned


def clear_planned() -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("TRUNCATE notifications_notification, programs_reviewrequest CASCADE")
        c.execute("UPDATE programs_relationship SET quiet_since = NULL")


def counts() -> str:
    from programs.models import Meeting, Relationship

    return f"{Relationship.objects.count():,} relationships, {Meeting.objects.count():,} meetings"


def main() -> int:
    args = parse()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        print("bench_sweep needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    if not args.keep:
        recreate_database(url)
    setup_django(url)
    if args.keep:
        from django.core.management import call_command as migrate

        migrate("migrate", verbosity=0)
    from django.core.management import call_command
    from django.db import connection

    print(f"Database: {connection.settings_dict['NAME']} (load on this machine may skew timings)")
    rng = random.Random(6)
    results = []
    if not args.keep:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        connection.ensure_connection()
        copier = Copier(connection.connection)
        program_ids = seed_base(copier)
        seed_relationships(copier, program_ids, args.small, args.meetings_per, rng)
        print(f"Seeded {counts()} in {time.perf_counter() - started:.0f} s")
        clear_planned()
        print(f"Sweep at {counts()}:")
        results.append(("small", *measure_all()))
        started = time.perf_counter()
        seed_relationships(
            copier, program_ids, args.relationships - args.small, args.meetings_per, rng
        )
        print(f"Grew to {counts()} in {time.perf_counter() - started:.0f} s")
    clear_planned()
    print(f"Sweep at {counts()}:")
    results.append(("full", *measure_all()))
    (_, (first_t, first_q, _), (drain_t, _, _), (steady_t, steady_q, _)) = results[-1]
    if len(results) == 2:
        (_, (_, small_first_q, _), _, (_, small_steady_q, _)) = results[0]
        same = small_first_q == first_q and small_steady_q == steady_q
        print(
            f"Queries: {small_first_q}/{small_steady_q} at {args.small:,} relationships, "
            f"{first_q}/{steady_q} at {args.relationships:,} — "
            + ("the same." if same else "DIFFERENT.")
        )
    slowest = max(first_t, drain_t, steady_t)
    ok = slowest <= LIMIT_SECONDS
    print(
        f"{'PASS' if ok else 'FAIL'}: slowest sweep {slowest:.2f} s at "
        f"{args.relationships:,} relationships (limit {LIMIT_SECONDS:.0f} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
