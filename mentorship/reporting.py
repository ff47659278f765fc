"""The error-reporting hook: Sentry-compatible reporting (any DSN a Sentry SDK accepts, e.g.
self-hosted Sentry or GlitchTip), on only when `SENTRY_DSN` is set. Called from the settings, so it
imports nothing from Django. Nothing confidential is sent: no request bodies, no cookies or user
details, no local variables (which may hold a private note's text)."""

from __future__ import annotations


def init_error_reporting(*, dsn: str, environment: str, release: str = "") -> bool:
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=0.0,
    )
    return True
