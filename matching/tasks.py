"""Celery tasks of the matching engine: adapters that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from matching.services import match_run_execute, match_runs_sweep, requests_expire


@shared_task(acks_late=True)
def execute_match_run(run_id: int) -> str:
    run = match_run_execute(run_id=run_id)
    return run.status if run else "missing"


@shared_task
def expire_requests() -> int:
    return requests_expire()


@shared_task
def sweep_match_runs() -> dict[str, int]:
    """Runs that nobody picked up or whose worker died."""
    return match_runs_sweep()
