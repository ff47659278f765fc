"""Enqueue Celery tasks safely from web requests.

Tasks are queued only after the surrounding transaction commits (a worker must see the rows it
is given ids of), and a broker outage never fails or hangs the request: every task is queued
for a row (ledger row, export, match run) that the periodic sweeps find and queue again if the
task never arrives. After one failure this process stops trying for a few seconds, so a request
that queues many emails waits for the broker's short connect timeout once, not once per email.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)

BROKER_BACKOFF_SECONDS = 15.0
_broker_down_until = 0.0


def enqueue(task: Task, *args: Any, **kwargs: Any) -> bool:
    """Send a task now; return False (and log) if the broker cannot take it."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception:  # the broker's client raises many unrelated types on outages
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning("Could not queue %s%r; the periodic sweep will pick it up", task.name, args)
        return False
    _broker_down_until = 0.0
    return True


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


def forget_broker_failures() -> None:
    """Try the broker again at once (after switching brokers, e.g. in tests)."""
    global _broker_down_until
    _broker_down_until = 0.0
