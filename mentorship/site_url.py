"""The public address written into emails, calendar feeds and review links.

Background workers have no request to take it from, so it comes from settings: an explicit
`SITE_URL` wins; `./dev run` sets one from the port it serves on; in production without one we
use the first concrete allowed host over HTTPS, and refuse to start if there is none (a link to
the wrong address is worse than no email)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ImproperlyConfigured


def site_url_from(
    explicit: str, *, allowed_hosts: Sequence[str] = (), scheme: str = "https"
) -> str:
    if explicit.strip():
        return explicit.strip().rstrip("/")
    for host in allowed_hosts:
        host = host.strip().lstrip(".")  # ".example.org" allows subdomains; the domain itself works
        if host and "*" not in host:
            return f"{scheme}://{host}"
    raise ImproperlyConfigured(
        "Set SITE_URL (e.g. https://mentorship.example.org) or a concrete DJANGO_ALLOWED_HOSTS "
        "entry: emails and calendar feeds need the address people reach the app on."
    )
