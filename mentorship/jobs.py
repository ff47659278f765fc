"""Background jobs that report their own liveness (report exports, match runs).

A job row records `heartbeat_at`: set when it is queued, and every few seconds by a thread
while a worker runs it. A sweep then tells a job nobody picked up (queued, no heartbeat for a
while: queue it again) from one whose worker died (running, heartbeat stale: start it again, or
fail it after a few tries) — so a job always finishes or says why."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import F, Q, QuerySet
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


# The statuses every job row shares (each model's TextChoices uses these values; a match run
# has more, for what happens after it is ready).
QUEUED, RUNNING, READY, FAILED, STOPPED = "queued", "running", "ready", "failed", "stopped"


class JobRows:
    """The lifecycle of one kind of job row, written once for every kind: each step is a single
    conditional UPDATE, so two workers (or a worker and a director pressing Stop) never both win."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model

    def _rows(self, **lookups: Any) -> QuerySet[Any]:
        return self.model._default_manager.filter(**lookups)

    def claim(self, pk: int, **fields: Any) -> bool:
        """Take a queued job, or one whose worker died (stale heartbeat), for this worker. A job
        that finished, or that a live worker is running, is left alone: a redelivered task does
        nothing."""
        now = timezone.now()
        claimed = (
            self._rows(pk=pk)
            .filter(Q(status=QUEUED) | Q(status=RUNNING, heartbeat_at__lt=stale_before()))
            .update(status=RUNNING, heartbeat_at=now, starts=F("starts") + 1, **fields)
        )
        return bool(claimed)

    def progress(self, pk: int, **fields: Any) -> None:
        """Record progress in its own short write, so the page polling it sees it at once; a job
        that is no longer running (stopped by a director) ends here."""
        if not self._rows(pk=pk, status=RUNNING).update(heartbeat_at=timezone.now(), **fields):
            raise JobStopped

    def finish(self, pk: int, **fields: Any) -> bool:
        """Mark a running job ready; False when it was stopped meanwhile (keep nothing then)."""
        updated = self._rows(pk=pk, status=RUNNING).update(
            status=READY, progress=100, finished_at=timezone.now(), **fields
        )
        return bool(updated)

    def fail(self, pk: int, *, error: str) -> None:
        """Fail a running job, saying why (a job stopped meanwhile stays stopped)."""
        self._rows(pk=pk, status=RUNNING).update(
            status=FAILED, error=error, finished_at=timezone.now()
        )

    def stop(self, pk: int, **fields: Any) -> bool:
        """A director stops a job that is waiting or running; False when it had finished."""
        stopped = self._rows(pk=pk, status__in=[QUEUED, RUNNING]).update(
            status=STOPPED, finished_at=timezone.now(), **fields
        )
        return bool(stopped)

    def retry(self, pk: int, **fields: Any) -> bool:
        """Queue a failed or stopped job again from the start; False for any other job."""
        retried = self._rows(pk=pk, status__in=[FAILED, STOPPED]).update(
            status=QUEUED,
            progress=0,
            error="",
            starts=0,
            finished_at=None,
            heartbeat_at=timezone.now(),
            **fields,
        )
        return bool(retried)

    def sweep(
        self,
        *,
        enqueue: Callable[[int], bool],
        died_error: str,
        unpicked_error: str,
        **restart_fields: Any,
    ) -> dict[str, int]:
        """Jobs nobody picked up are queued again; jobs whose worker died start again (or fail,
        saying why, after several tries); nothing stays 'running' for good. `enqueue` sends one
        job's task and says whether the broker took it."""
        result = {"requeued": 0, "restarted": 0, "failed": 0}
        now = timezone.now()
        dead = self._rows(status=RUNNING, heartbeat_at__lt=stale_before())
        result["failed"] += dead.filter(starts__gte=settings.MENTORSHIP_JOB_MAX_STARTS).update(
            status=FAILED, error=died_error, finished_at=now
        )
        restart = list(dead.values_list("pk", flat=True))
        result["restarted"] = self._rows(pk__in=restart).update(
            status=QUEUED, heartbeat_at=now, **restart_fields
        )
        waiting = self._rows(status=QUEUED, heartbeat_at__lt=requeue_before())
        result["failed"] += waiting.filter(created_at__lt=given_up_before()).update(
            status=FAILED, error=unpicked_error, finished_at=now
        )
        requeue = list(waiting.values_list("pk", flat=True))
        self._rows(pk__in=requeue).update(heartbeat_at=now)
        result["requeued"] = len(requeue)
        for pk in [*restart, *requeue]:
            if not enqueue(pk):
                break  # the broker is down: the next sweep tries again
        return result
