"""Probes for an orchestrator: `/healthz` says the process answers (liveness: restart it if not),
`/readyz` says it can serve (readiness: the database and the broker are reachable)."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any driver error means "not ready"
        logger.warning("Readiness: the database is not reachable", exc_info=True)
        return False
    return True


def broker_reachable() -> bool:
    from mentorship.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception:  # kombu raises transport-specific types
        logger.warning("Readiness: the broker is not reachable", exc_info=True)
        return False
    return True


@login_not_required
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    checks = {"database": database_reachable(), "broker": broker_reachable()}
    body = "".join(f"{name}: {'ok' if ok else 'unreachable'}\n" for name, ok in checks.items())
    return HttpResponse(
        body, content_type="text/plain", status=200 if all(checks.values()) else 503
    )
