"""Bench: send 10,000 meeting reminders through Redis and a real Celery worker to an SMTP sink,
with 1, 2 and 4 worker processes, and print the throughput of each.

It seeds a PostgreSQL database of its own (5,000 pairs, each with a meeting in three hours and an
agenda, so the due-work sweep plans exactly two reminders per meeting), starts its own Redis on a
free port and a local SMTP sink (`bench/smtp_sink.py`), queues one `deliver` task per reminder,
then starts `celery worker --concurrency N` and times the sends (from the first to the last
`sent_at`, so worker start-up is not counted). Every reminder goes through the real path:
ledger row lock, preferences, quiet hours, context builder, templates, SMTP.

    .venv/bin/python bench/bench_send.py            # BENCH_SEND_DATABASE_URL to override the DB
    .venv/bin/python bench/bench_send.py --reminders 2000 --workers 1 2

The machine's other load (it has 2 cores) skews the figures; compare runs made together."""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wt_issue6_send"


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reminders", type=int, default=10_000)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    return p.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(workdir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("Redis did not start")


def seed(pairs: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from bench.bench_sweep import (
        MEETING_COLUMNS,
        MEMBER_COLUMNS,
        PROFILE_COLUMNS,
        RELATIONSHIP_COLUMNS,
        USER_COLUMNS,
        Copier,
        seed_base,
    )

    connection.ensure_connection()
    copier = Copier(connection.connection)
    program_ids = seed_base(copier)
    rng = random.Random(7)
    now = timezone.now()
    stamp = now.isoformat()
    user0, profile0 = copier.next_id("accounts_user"), copier.next_id("programs_facultyprofile")
    zones = ["America/Toronto", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles"]
    people = 2 * pairs
    copier.copy(
        "accounts_user",
        USER_COLUMNS,
        ((user0 + i, f"s{user0 + i}@bench.test", "!", "t", stamp) for i in range(people)),
    )
    copier.copy(
        "programs_facultyprofile",
        PROFILE_COLUMNS,
        (
            (profile0 + i, user0 + i, "Sam", f"Sender{i}", zones[i % 4], stamp, stamp)
            for i in range(people)
        ),
    )
    today = now.date()
    copier.copy(
        "programs_relationship",
        RELATIONSHIP_COLUMNS,
        (
            (i + 1, program_ids[i % 10], "one_to_one", "active", today, None, "manual", stamp, "[]")
            for i in range(pairs)
        ),
    )
    copier.copy(
        "programs_relationshipmember",
        MEMBER_COLUMNS,
        (
            (2 * i + 1 + k, i + 1, profile0 + 2 * i + k, ("mentee", "mentor")[k], stamp)
            for i in range(pairs)
            for k in (0, 1)
        ),
    )
    copier.copy(
        "programs_meeting",
        MEETING_COLUMNS,
        (
            (
                i + 1,
                i + 1,
                (now + timedelta(hours=3, minutes=rng.randint(0, 120))).isoformat(),
                60,
                "UTC",
                "scheduled",
                stamp,
                "[]",
            )
            for i in range(pairs)
        ),
    )
    copier.copy(
        "programs_agendaitem",
        ["id", "meeting_id", "topic", "analysis", "order", "created_at"],
        ((i + 1, i + 1, "Aims page", "", 1, stamp) for i in range(pairs)),
    )
    copier.reset_sequences(
        [
            "accounts_user",
            "programs_facultyprofile",
            "programs_relationship",
            "programs_relationshipmember",
            "programs_meeting",
            "programs_agendaitem",
        ]
    )


def main() -> int:
    args = parse()
    url = os.environ.get("BENCH_SEND_DATABASE_URL", DEFAULT_URL)
    from bench.smtp_sink import SmtpSink

    workdir = tempfile.mkdtemp(prefix="bench-send-")
    redis, broker = start_redis(workdir)
    sink = SmtpSink().start()
    try:
        return run(args, url, workdir, broker, sink)
    finally:
        sink.stop()
        redis.terminate()
        redis.wait(timeout=10)


def run(args: argparse.Namespace, url: str, workdir: str, broker: str, sink: SmtpSink) -> int:
    from bench.bench_sweep import recreate_database

    os.environ.update(
        {
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": broker,
            "DJANGO_SETTINGS_MODULE": "mentorship.settings.local",
            "DJANGO_DEBUG": "false",
            "CELERY_TASK_DEFAULT_QUEUE": "bench-send",
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "LOG_LEVEL": "WARNING",
        }
    )
    recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from mentorship.celery import app
    from mentorship.notifications.kinds import Kind
    from mentorship.notifications.models import Notification, Status
    from mentorship.notifications.tasks import deliver
    from programs.services.reminders import due_work_sweep

    app.conf.task_always_eager = False
    call_command("migrate", verbosity=0)
    seed(args.reminders // 2)
    due_work_sweep()
    Notification.objects.exclude(kind=Kind.MEETING_UPCOMING).delete()
    ids = list(Notification.objects.values_list("pk", flat=True))
    print(f"Planned {len(ids):,} meeting reminders; Redis {broker}; SMTP sink on port {sink.port}")
    print("(2 shared cores here: other load skews these figures)")
    results = []
    for workers in args.workers:
        Notification.objects.update(
            status=Status.PENDING, sent_at=None, queued_at=timezone.now(), attempts=0
        )
        before = sink.count
        with app.producer_or_acquire() as producer:
            for pk in ids:
                deliver.apply_async(args=[pk], producer=producer)
        log = Path(workdir) / f"worker-{workers}.log"
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mentorship",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                str(workers),
                "--queues",
                "bench-send,bench-send-email",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"bench{workers}@%h",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started = time.monotonic()
        try:
            while Notification.objects.filter(status=Status.PENDING).exists():
                if worker.poll() is not None:
                    raise RuntimeError(f"worker exited: see {log}")
                if time.monotonic() - started > 1800:
                    raise RuntimeError("timed out")
                time.sleep(0.5)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        sent = Notification.objects.filter(status=Status.SENT)
        first = sent.order_by("sent_at").values_list("sent_at", flat=True).first()
        last = sent.order_by("-sent_at").values_list("sent_at", flat=True).first()
        span = (last - first).total_seconds()
        rate = (sent.count() - 1) / span if span else float("inf")
        received = sink.count - before
        results.append((workers, rate))
        print(
            f"  {workers} worker process{'es' if workers > 1 else ''}: {sent.count():,} sent in "
            f"{span:6.1f} s = {rate:6.1f} emails/s (sink received {received:,})"
        )
    base = results[0][1]
    print("Scaling: " + ", ".join(f"{w}× → {r / base:.2f}×" for w, r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
