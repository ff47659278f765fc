"""Celery tasks for the send ledger: thin adapters around the services.

`deliver` runs on the email queue (see `mentorship.celery.route`), the sweeps on the default
queue, so a batch of thousands of deliveries never delays a sweep."""

from __future__ import annotations

import logging

from celery import shared_task

from mentorship.notifications.services import (
    digests_to_plan,
    notification_deliver,
    notifications_expire,
    notifications_reclaim,
    notifications_release,
    notifications_to_queue,
)
from mentorship.queue import enqueue

logger = logging.getLogger(__name__)


@shared_task
def deliver(notification_id: int) -> str:
    # No Celery retries: a failed send reschedules its own row in the ledger (see services).
    return notification_deliver(notification_id=notification_id)


@shared_task
def sweep_pending() -> int:
    """Queue every pending, due notification without a recent task (a lost task included),
    after returning rows a dead worker left 'sending' and failing those past their lifetime.

    If the broker refuses one, it is down: stop there (instead of waiting on it thousands of
    times) and release the rest, so the next sweep after it returns queues them at once."""
    notifications_reclaim()
    notifications_expire()
    ids = notifications_to_queue()
    for i, notification_id in enumerate(ids):
        if not enqueue(deliver, notification_id):
            notifications_release(ids[i:])
            logger.warning(
                "Pending sweep: %d due, %d queued; the broker refused the rest (%d released "
                "for the next sweep)",
                len(ids),
                i,
                len(ids) - i,
            )
            return i
    logger.info("Pending sweep: %d due, %d queued", len(ids), len(ids))
    return len(ids)


@shared_task
def plan_digests() -> int:
    return digests_to_plan()
