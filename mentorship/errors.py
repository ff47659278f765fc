"""Error pages that tell the truth (reporting itself is set up by `mentorship.reporting`).

- `server_error` is the 500 handler: it says the team was told only when a report was sent (with
  its reference), and turns a database outage (`OperationalError`/`InterfaceError`, wherever it
  was raised: a view, the session or the user lookup) into a 503 outage page with Retry-After.
  Neither page touches the database."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import timezone

RETRY_AFTER_SECONDS = 30


def error_reporting_enabled() -> bool:
    return bool(getattr(settings, "SENTRY_DSN", ""))


def _last_event_id() -> str:
    if not error_reporting_enabled():
        return ""
    import sentry_sdk

    return sentry_sdk.last_event_id() or ""


def database_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, OperationalError | InterfaceError)


def outage_response() -> HttpResponse:
    html = loader.get_template("503.html").render(
        {"site_name": settings.SITE_NAME, "retry_after": RETRY_AFTER_SECONDS}
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if database_unavailable(sys.exc_info()[1]):
        return outage_response()
    event_id = _last_event_id()
    html = loader.get_template("500.html").render(
        {
            "site_name": settings.SITE_NAME,
            "reported": bool(event_id),
            "event_id": event_id,
            "when": timezone.now(),
        }
    )
    return HttpResponse(html, status=500)
