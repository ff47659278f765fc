"""Create (or complete) the demo institution and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from programs.demo.institution import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create a realistic demo institution (idempotent) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_demo()
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"Demo data ready: {result.faculty} faculty, {result.programs} programs."
            )
        )
        out.write(
            f"\nSign in at {settings.SITE_URL}/accounts/login/ with password {DEMO_PASSWORD!r} as:"
        )
        width = max(len(login.email) for login in result.logins)
        for login in result.logins:
            out.write(f"  {login.email.ljust(width)}  {login.role} — {login.note}")
        out.write("")
