"""Celery tasks of the programs app: thin adapters that take ids and call a service."""

from __future__ import annotations

import smtplib

from celery import shared_task

from mentorship.queue import enqueue
from programs.services.concerns import concern_alert_directors, concerns_unalerted
from programs.services.invitations import invitation_send, invitations_unsent
from programs.services.relationships import (
    member_notify_departure,
    notices_pending,
    relationship_notify_ended,
    relationship_notify_started,
)

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


# --- Relationships (ids only; each service call is idempotent) ---------------------------------

EMAIL_TASK = {
    "autoretry_for": TRANSIENT_EMAIL_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 60 * 30,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(**EMAIL_TASK)
def send_relationship_started(relationship_id: int) -> int:
    return relationship_notify_started(relationship_id=relationship_id)


@shared_task(**EMAIL_TASK)
def send_relationship_ended(relationship_id: int) -> int:
    return relationship_notify_ended(relationship_id=relationship_id)


@shared_task(**EMAIL_TASK)
def send_group_departure(member_id: int) -> int:
    return member_notify_departure(member_id=member_id)


@shared_task(**EMAIL_TASK)
def send_concern_alert(concern_id: int) -> int:
    return concern_alert_directors(concern_id=concern_id)


@shared_task
def sweep_relationship_notices() -> int:
    """Queue relationship notices and concern alerts whose task never ran. Each task is
    idempotent, so one that was merely slow is not sent twice."""
    pending = notices_pending()
    jobs = [
        *((send_relationship_started, pk) for pk in pending["started"]),
        *((send_relationship_ended, pk) for pk in pending["ended"]),
        *((send_group_departure, pk) for pk in pending["departures"]),
        *((send_concern_alert, pk) for pk in concerns_unalerted()),
    ]
    for task, pk in jobs:
        enqueue(task, pk)
    return len(jobs)


# --- Reports ------------------------------------------------------------------------------------


@shared_task(
    autoretry_for=(ConnectionError, TimeoutError), retry_backoff=10, max_retries=3, acks_late=True
)
def run_report_export(export_id: int) -> bool:
    from programs.services.reports import report_export_run

    return report_export_run(export_id=export_id)
