"""Celery tasks of the programs app: thin adapters that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from programs.services.reminders import due_work_sweep
from programs.services.retention import expired_files_purge, submission_tokens_purge

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
def sweep_report_exports() -> dict[str, int]:
    """Report exports that nobody picked up or whose worker died."""
    from programs.services.reports import report_exports_sweep

    return report_exports_sweep()


@shared_task
def purge_expired_files() -> dict[str, int]:
    """Daily: delete report exports and roster uploads past the retention period."""
    purged = expired_files_purge()
    return {"exports": purged.exports, "rosters": purged.rosters}


@shared_task
def purge_submission_tokens() -> int:
    """Daily: forget form-submission tokens older than MENTORSHIP_SUBMISSION_TOKEN_DAYS."""
    return submission_tokens_purge()


@shared_task
def sweep_identity_providers() -> dict[str, int]:
    """Daily: re-read each IdP's metadata address; warn the admins of expiring certificates."""
    from programs.services.sso import identity_providers_sweep

    result = identity_providers_sweep()
    return {
        "read": result.read,
        "changed": result.changed,
        "failed": result.failed,
        "warned": result.warned,
    }
