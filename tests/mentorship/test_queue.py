"""Queuing never blocks a web request on a missing broker: after one failure the process stops
trying for a while, so a request that queues fifty emails waits on the broker once."""

from __future__ import annotations

from unittest import mock

import pytest

from mentorship.notifications.tasks import deliver
from mentorship.queue import enqueue, forget_broker_failures


@pytest.fixture(autouse=True)
def _fresh():
    forget_broker_failures()
    yield
    forget_broker_failures()


def test_after_one_broker_failure_the_next_tasks_are_left_to_the_sweep():
    with mock.patch.object(deliver, "apply_async", side_effect=ConnectionError) as send:
        results = [enqueue(deliver, i) for i in range(50)]
    assert results == [False] * 50
    assert send.call_count == 1


def test_the_broker_is_tried_again_later():
    with mock.patch.object(deliver, "apply_async", side_effect=ConnectionError):
        assert enqueue(deliver, 1) is False
    with (
        mock.patch("mentorship.queue.time.monotonic", return_value=10**9),
        mock.patch.object(deliver, "apply_async") as send,
    ):
        assert enqueue(deliver, 2) is True
    assert send.call_count == 1
