"""Enqueue Celery tasks safely from web requests.

Tasks are queued only after the surrounding transaction commits (a worker must see the rows it
is given ids of), and a broker outage never fails or hangs the request: the periodic sweeps find
anything whose task was not queued and do it later.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any, **kwargs: Any) -> bool:
    """Send a task now; return False (and log) if the broker cannot take it."""
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception:  # the broker's client raises many unrelated types on outages
        logger.warning("Could not queue %s%r; the periodic sweep will pick it up", task.name, args)
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
