"""The Celery settings and task options that make delivery at-least-once and bounded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from mentorship.celery import app, route
from mentorship.notifications.relay import retry_delay

ROOT = Path(__file__).resolve().parents[2]


def redis_settings() -> dict[str, object]:
    """The Celery settings as they are with Redis configured (tests may run without it)."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'vt': s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], "
        "'connect': s.CELERY_BROKER_TRANSPORT_OPTIONS['socket_connect_timeout'], "
        "'socket': s.CELERY_BROKER_TRANSPORT_OPTIONS['socket_timeout']}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mentorship.settings.test",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6399/0",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def test_tasks_are_acknowledged_late_and_rejected_if_the_worker_dies():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert app.conf.task_acks_late is True


def test_the_visibility_timeout_outlasts_any_task_and_the_broker_fails_fast():
    values = redis_settings()
    assert values["vt"] > settings.CELERY_TASK_TIME_LIMIT
    assert values["connect"] <= 3
    assert values["socket"] <= 5


def test_retries_back_off_exponentially_with_jitter_up_to_the_cap(settings):
    settings.MENTORSHIP_EMAIL_RETRY_BASE = 60
    settings.MENTORSHIP_EMAIL_RETRY_CAP = 3600
    for attempts in range(1, 10):
        values = {retry_delay(attempts).total_seconds() for _ in range(200)}
        ceiling = min(3600, 60 * 2 ** (attempts - 1))
        assert ceiling / 2 <= min(values)
        assert max(values) <= ceiling
        assert len(values) > 1  # jitter: messages that failed together do not return together


def test_deliveries_and_sweeps_use_separate_queues():
    default = app.conf.task_default_queue
    assert route("mentorship.notifications.tasks.deliver", (), {}, {}) == {
        "queue": f"{default}-email"
    }
    assert route("mentorship.notifications.tasks.sweep_pending", (), {}, {}) is None
    assert route("programs.tasks.run_report_export", (), {}, {}) is None


def test_beat_runs_the_sweeps():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "programs.tasks.sweep_due_work" in tasks
    assert "mentorship.notifications.tasks.sweep_pending" in tasks
    assert "mentorship.notifications.tasks.plan_digests" in tasks
