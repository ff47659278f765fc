"""Email is delayed, never dropped, and background work finishes — with real processes: a real
Celery worker sending over SMTP to a relay the test controls (`bench/smtp_sink.py`), real Redis,
real PostgreSQL, real gunicorn.

Time is scaled rather than waited for: the worker probes the relay every second instead of every
minute, so a 30-second outage here is the "30 minutes" of production (one probe per interval).
Each experiment prints its figures: expected, delivered, duplicates, lost."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bench.smtp_sink import SmtpSink
from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Bounce, Notification, RelayState, Status
from mentorship.notifications.services import delivery_health
from mentorship.notifications.tasks import sweep_pending
from programs.models import ExportFormat, ExportStatus, Recap, ReportExport
from programs.services.meetings import recap_write
from programs.services.reminders import due_work_sweep
from programs.services.reports import report_export_start, report_exports_sweep
from tests.relationship_fixtures import past_meeting
from tests.services.conftest import ROOT, broker_at, free_port, wait_for, worker_database_url
from tests.services.test_reliability import meetings_soon

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = re.compile(r"^X-Mentorship-Notification: (\d+)\r?$", re.MULTILINE)


def relay_env(port: int) -> dict[str, str]:
    return {
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "EMAIL_TIMEOUT": "5",
        "MENTORSHIP_EMAIL_PROBE_INTERVAL": "1",
        "MENTORSHIP_EMAIL_PAUSED_PROBE_INTERVAL": "1",
        "MENTORSHIP_EMAIL_RETRY_BASE": "1",
        "MENTORSHIP_EMAIL_RETRY_CAP": "2",
    }


def received(sink: SmtpSink) -> Counter[int]:
    return Counter(int(m) for text in list(sink.messages) for m in HEADER.findall(text))


def figures(name: str, expected: set[int], sink: SmtpSink) -> dict[str, int]:
    counts = received(sink)
    result = {
        "expected": len(expected),
        "delivered": len(set(counts) & expected),
        "duplicates": sum(n - 1 for pk, n in counts.items() if pk in expected),
        "lost": len(expected - set(counts)),
    }
    print(f"\n[figures] {name}: {result}")
    return result


def sweep_until(condition, *, timeout: float, what: str) -> None:
    """Beat's job, once a second: queue whatever is due (the worker probes, sends, defers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sweep_pending()
        if condition():
            return
        time.sleep(1)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


def unsent() -> int:
    return Notification.objects.filter(status__in=[Status.PENDING, Status.SENDING]).count()


@pytest.fixture
def port() -> int:
    return free_port()


def test_a_30_minute_relay_outage_loses_nothing_and_sends_nothing_twice(worker, pair, port):
    meetings_soon(pair, 20)
    due_work_sweep()
    expected = set(Notification.objects.values_list("pk", flat=True))
    assert len(expected) == 60
    worker.start("--concurrency", "2", env=relay_env(port))  # nothing listens: refused
    started = time.monotonic()
    while time.monotonic() - started < 30:  # "30 minutes": one probe per interval
        sweep_pending()
        time.sleep(1)
    assert not Notification.objects.filter(status=Status.SENT).exists()
    assert not Notification.objects.filter(status__in=[Status.FAILED, Status.BOUNCED]).exists()
    attempts = Notification.objects.aggregate(n=Sum("attempts"))["n"]
    assert RelayState.objects.get().state == RelayState.State.DOWN
    sink = SmtpSink(port=port).start()  # the relay is back
    try:
        sweep_until(lambda: unsent() == 0, timeout=120, what="every email once the relay is back")
        time.sleep(2)  # let a straggling duplicate arrive before counting
        result = figures("relay refusing connections for 30 probe intervals", expected, sink)
    finally:
        sink.stop()
    print(f"[figures] attempts during the outage: {attempts} (60 emails waiting)")
    assert attempts <= 40  # one probe per interval (+ the first few in flight), not 6 × 60
    assert result["lost"] == 0
    assert result["duplicates"] == 0
    assert RelayState.objects.get().state == RelayState.State.OK


def test_a_relay_refusing_our_sender_pauses_sending_bounces_nobody_and_alerts_the_admin(
    worker, pair, port, admin, mentee, mentor
):
    meetings_soon(pair, 4)
    due_work_sweep()
    expected = set(Notification.objects.values_list("pk", flat=True))
    sink = SmtpSink(port=port).start()
    sink.refuse_sender = "550 5.7.1 Sender address rejected: not owned by user"
    try:
        worker.start("--concurrency", "1", env=relay_env(port))
        sweep_until(
            lambda: RelayState.objects.filter(state=RelayState.State.PAUSED).exists(),
            timeout=60,
            what="sending to pause",
        )
        for _ in range(5):  # a few probe intervals while it still refuses
            sweep_pending()
            time.sleep(1)
        assert not Bounce.objects.exists()
        assert not Notification.objects.filter(status=Status.BOUNCED).exists()
        assert not Notification.objects.filter(kind=Kind.BOUNCE_ALERT).exists()
        alerts = set(
            Notification.objects.filter(kind=Kind.RELAY_ALERT).values_list("recipient", flat=True)
        )
        assert alerts == {admin.pk}
        health = delivery_health()  # what the admins see on every page meanwhile
        assert health.state == RelayState.State.PAUSED
        assert "sender refused" in health.reason
        assert health.waiting == len(expected) + len(alerts)
        assert sink.count == 0
        # The relay is fixed: the next probe goes through and everything waiting is sent.
        sink.refuse_sender = None
        sweep_until(lambda: unsent() == 0, timeout=90, what="every email after the fix")
        time.sleep(2)
        # The admins' alert email could not pass the refusing relay; once it is fixed it is
        # moot (skipped), and the notice on their pages is gone.
        assert not delivery_health().has_problem
        result = figures("relay refusing the sender, then fixed", expected, sink)
    finally:
        sink.stop()
    assert result["lost"] == 0
    assert result["duplicates"] == 0
    assert not Bounce.objects.exists()


def test_a_password_reset_with_the_relay_down_is_no_error_and_arrives_later(worker, port, mentee):
    worker.start("--concurrency", "1", env=relay_env(port))
    response = Client().post(reverse("account_reset_password"), {"email": mentee.email})
    assert response.status_code == 302  # not a 500
    n = Notification.objects.get(kind=Kind.ACCOUNT)
    wait_for(lambda: RelayState.objects.filter(state=RelayState.State.DOWN).exists(), what="probe")
    sink = SmtpSink(port=port).start()
    try:
        sweep_until(lambda: unsent() == 0, timeout=60, what="the reset email")
        result = figures("password reset with the relay down", {n.pk}, sink)
        assert "password" in sink.messages[0].lower()
    finally:
        sink.stop()
    assert result == {"expected": 1, "delivered": 1, "duplicates": 0, "lost": 0}
    n.refresh_from_db()
    assert "sealed" not in n.data  # the link is not kept once sent


def test_a_worker_killed_mid_send_three_times_repeats_at_most_the_email_in_hand(worker, pair, port):
    meetings_soon(pair, 15)
    due_work_sweep()
    expected = set(Notification.objects.values_list("pk", flat=True))
    assert len(expected) == 45
    sink = SmtpSink(port=port, delay=0.3).start()  # a relay slow to answer
    kills = 0
    try:
        sweep_pending()
        for threshold in (5, 15, 25):
            worker.start("--concurrency", "1", env=relay_env(port))
            wait_for(
                lambda t=threshold: sink.count >= t and sink.receiving > 0,
                timeout=90,
                what=f"{threshold} sent and one in hand",
            )
            worker.stop(signal.SIGKILL)  # mid-send: the relay has it, the ledger does not
            kills += 1
        worker.start("--concurrency", "1", env=relay_env(port))
        # Claims left by the killed workers time out; their tasks were lost with them.
        with time_machine.travel(timezone.now() + timedelta(minutes=11)):
            sweep_pending()
        sweep_until(lambda: unsent() == 0, timeout=120, what="every email after the kills")
        time.sleep(2)
        result = figures(f"worker SIGKILLed mid-send {kills} times", expected, sink)
    finally:
        sink.stop()
    assert result["lost"] == 0
    assert result["duplicates"] <= kills


def test_sigterm_finishes_the_email_in_hand_and_stops_promptly(worker, pair, port):
    meetings_soon(pair, 3)
    due_work_sweep()
    sink = SmtpSink(port=port, delay=2).start()
    try:
        worker.start("--concurrency", "1", env=relay_env(port))
        sweep_pending()
        wait_for(lambda: sink.receiving > 0, timeout=60, what="an email in hand")
        started = time.monotonic()
        # As `docker compose stop` and `./dev run` do: SIGTERM to the worker's main process.
        worker.process.send_signal(signal.SIGTERM)
        worker.process.wait(timeout=60)
        stopped_in = time.monotonic() - started
        worker.stop()
    finally:
        sink.stop()
    print(f"\n[figures] SIGTERM with an email in hand: stopped in {stopped_in:.1f} s")
    assert stopped_in < 15  # well inside compose's stop_grace_period (60 s)
    assert sink.count >= 1
    assert not Notification.objects.filter(status=Status.SENDING).exists()
    assert Notification.objects.filter(status=Status.SENT).count() == sink.count


def test_an_export_started_with_redis_down_finishes_once_redis_returns(
    worker, throwaway_redis, program, director
):
    with broker_at(throwaway_redis.url):
        throwaway_redis.stop()
        with transaction.atomic():
            export = report_export_start(
                program=program,
                start=timezone.localdate() - timedelta(days=365),
                end=timezone.localdate(),
                format=ExportFormat.CSV,
                by=director,
            )
        assert ReportExport.objects.get(pk=export.pk).status == ExportStatus.QUEUED
        throwaway_redis.start()
        worker.start("--concurrency", "1", env={"CELERY_BROKER_URL": throwaway_redis.url})
        with time_machine.travel(timezone.now() + timedelta(minutes=3)):
            assert report_exports_sweep()["requeued"] == 1
        wait_for(
            lambda: ReportExport.objects.get(pk=export.pk).status == ExportStatus.READY,
            timeout=60,
            what="the export to finish",
        )
    print("\n[figures] export started with Redis down: expected 1, finished 1, lost 0")


def test_a_stale_recap_confirmation_is_refused_with_the_conflict_page(pair, mentee, mentor):
    meeting = past_meeting(pair)
    recap_write(meeting=meeting, text="Aim 1 only.", by=mentor)
    seen = Recap.objects.get().revision
    recap_write(meeting=meeting, text="Aims 1 and 2.", revision=seen, by=mentor)
    client = Client()
    client.force_login(mentee)
    response = client.post(reverse("recap_confirm", args=[meeting.pk]), {"revision": seen})
    assert response.status_code == 409
    assert "Aims 1 and 2." in response.content.decode()
    assert Recap.objects.get().confirmed_at is None


def test_with_the_database_away_gunicorn_answers_503_with_retry_after(tmp_path):
    port, dead_db = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mentorship.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "mentorship.example.org",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead_db}/nowhere",
        "EMAIL_URL": f"filemail:///{tmp_path}",
        "CACHE_URL": "locmemcache://",
    }
    assert worker_database_url()  # the real database stays up; this server cannot reach it
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "mentorship.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def get() -> tuple[int, dict[str, str], str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/",
            headers={
                "Host": "mentorship.example.org",
                "X-Forwarded-Proto": "https",
                "Cookie": "sessionid=" + "a" * 32,  # a session to look up
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - local
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()
        except OSError:
            return 0, {}, ""

    try:
        wait_for(lambda: get()[0] != 0, timeout=30, what="gunicorn")
        status, headers, body = get()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    assert status == 503, log.read_text()[-2000:]
    assert headers.get("Retry-After") == "30"
    assert "briefly unavailable" in body
