"""Background jobs that report their own liveness (report exports, match runs).

A job row records `heartbeat_at`: set when it is queued, and every few seconds by a thread
while a worker runs it. A sweep then tells a job nobody picked up (queued, no heartbeat for a
while: queue it again) from one whose worker died (running, heartbeat stale: start it again, or
fail it after a few tries) — so a job always finishes or says why."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone


class JobStopped(Exception):
    """The job's row is no longer 'running' (a director stopped it): abandon the work."""


def stale_before() -> Any:
    return timezone.now() - timedelta(seconds=settings.MENTORSHIP_JOB_STALE_SECONDS)


def requeue_before() -> Any:
    return timezone.now() - timedelta(seconds=settings.MENTORSHIP_JOB_REQUEUE_SECONDS)


def given_up_before() -> Any:
    return timezone.now() - timedelta(seconds=settings.MENTORSHIP_JOB_MAX_WAIT_SECONDS)


@contextmanager
def heartbeat(model: Any, pk: int, *, running_status: str) -> Iterator[None]:
    """Keep `heartbeat_at` fresh while the block runs, from a thread with its own connection,
    so a long step (solving, writing a large file) is not mistaken for a dead worker."""
    every = settings.MENTORSHIP_JOB_HEARTBEAT_SECONDS
    done = threading.Event()

    def beat() -> None:
        try:
            while not done.wait(every):
                model.objects.filter(pk=pk, status=running_status).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=every + 5)
