"""A real Celery worker consumes tasks from a real Redis and sees the real database."""

from __future__ import annotations

import pytest

from mentorship.log import request_id_var
from mentorship.notifications.tasks import sweep_pending
from mentorship.queue import enqueue
from programs.models import Invitation, Role
from programs.services.invitations import faculty_invite
from tests.services.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_real_worker_sends_an_invitation_queued_through_redis(worker, program, admin):
    worker.start("--pool", "solo")
    faculty_invite(
        email="worker.test@northbridge.test",
        given_name="Wren",
        family_name="Worker",
        program=program,
        role=Role.MENTEE,
        by=admin,
    )
    wait_for(lambda: worker.emails(), what="the invitation email")
    (email,) = worker.emails()
    assert "To: worker.test@northbridge.test" in email
    assert program.name in email
    # The worker writes the email before it commits `sent_at`: wait for the commit too.
    wait_for(
        lambda: Invitation.objects.filter(
            email="worker.test@northbridge.test", sent_at__isnull=False
        ).exists(),
        what="the invitation marked sent",
    )
    invitation = Invitation.objects.get(email="worker.test@northbridge.test")
    assert invitation.send_count == 1


def test_a_task_queued_by_a_request_logs_with_its_request_id(worker):
    worker.start("--pool", "solo", env={"LOG_LEVEL": "INFO"})
    token = request_id_var.set("req-from-the-web")
    try:
        assert enqueue(sweep_pending)
    finally:
        request_id_var.reset(token)

    def logged() -> str:
        text = worker.log.read_text(errors="replace") if worker.log else ""
        return next((line for line in text.splitlines() if "Pending sweep:" in line), "")

    wait_for(lambda: bool(logged()), what="the sweep's log line")
    line = logged()
    assert "request=req-from-the-web" in line
    assert "task=-" not in line
