"""Celery tasks for the send ledger: thin adapters around the services."""

from __future__ import annotations

import logging
import random

from celery import shared_task

from mentorship.notifications.services import (
    MAX_ATTEMPTS,
    TransientDeliveryError,
    digests_to_plan,
    notification_deliver,
    notifications_release,
    notifications_to_queue,
)
from mentorship.queue import enqueue

logger = logging.getLogger(__name__)


def backoff(retries: int) -> int:
    """Exponential backoff with full jitter: 30 s, 60 s, 120 s … capped at 30 minutes."""
    return random.randint(1, min(30 * 2**retries, 1800))


@shared_task(bind=True, max_retries=MAX_ATTEMPTS)
def deliver(self, notification_id: int) -> str:
    try:
        return notification_deliver(notification_id=notification_id)
    except TransientDeliveryError as e:
        raise self.retry(exc=e, countdown=backoff(self.request.retries)) from e


@shared_task
def sweep_pending() -> int:
    """Queue every pending, due notification without a recent task (a lost task included).

    If the broker refuses one, it is down: stop there (instead of waiting on it thousands of
    times) and release the rest, so the next sweep after it returns queues them at once."""
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
