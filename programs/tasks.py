"""Celery tasks of the programs app: thin adapters that take ids and call a service."""

from __future__ import annotations

import smtplib

from celery import shared_task

from mentorship.queue import enqueue
from programs.services.invitations import invitation_send, invitations_unsent
from programs.services.reminders import due_work_sweep
from programs.services.retention import expired_files_purge

TRANSIENT_EMAIL_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPDataError,
    ConnectionError,
    TimeoutError,
)


@shared_task(
    autoretry_for=TRANSIENT_EMAIL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=60 * 30,
    retry_jitter=True,
    max_retries=6,
)
def send_invitation(invitation_id: int) -> bool:
    return invitation_send(invitation_id=invitation_id)


@shared_task
def sweep_unsent_invitations() -> int:
    """Queue invitations whose email never went out, e.g. while the broker was down."""
    ids = invitations_unsent()
    for invitation_id in ids:
        enqueue(send_invitation, invitation_id)
    return len(ids)


# --- Reminders and reviews ----------------------------------------------------------------------


@shared_task
def sweep_due_work() -> dict[str, int]:
    """Plan every reminder, review request and chase that is due (see services.reminders);
    `mentorship.notifications.tasks.sweep_pending` then sends them."""
    result = due_work_sweep()
    return {
        **result.planned,
        "review_requests": result.review_requests,
        "quiet_flagged": result.quiet_flagged,
        "quiet_cleared": result.quiet_cleared,
    }


# --- Reports ------------------------------------------------------------------------------------


@shared_task(
    autoretry_for=(ConnectionError, TimeoutError), retry_backoff=10, max_retries=3, acks_late=True
)
def run_report_export(export_id: int) -> bool:
    from programs.services.reports import report_export_run

    return report_export_run(export_id=export_id)


@shared_task
def purge_expired_files() -> dict[str, int]:
    """Daily: delete report exports and roster uploads past the retention period."""
    purged = expired_files_purge()
    return {"exports": purged.exports, "rosters": purged.rosters}
