"""allauth hooks: every new account gets a faculty profile, and signing in remembers the time
zone. Sign-up's domain rule is in `accounts.forms`."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


def signup_domains() -> set[str]:
    from programs.models import Institution

    domains = {d.lower() for d in settings.MENTORSHIP_SIGNUP_DOMAINS}
    for listed in Institution.objects.exclude(email_domains=[]).values_list(
        "email_domains", flat=True
    ):
        domains.update(d.lower() for d in listed)
    return domains


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        # Domains are checked by the sign-up form only (`accounts.forms`): password reset and
        # adding an address also come through here, and invited outside mentors use their own.
        return super().clean_email(email).lower()

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            from programs.services.people import profile_ensure

            data = getattr(form, "cleaned_data", {})
            profile_ensure(
                user=user,
                given_name=data.get("given_name", ""),
                family_name=data.get("family_name", ""),
            )
        return user

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        from mentorship.middleware import remember_time_zone
        from programs.services.people import profile_ensure

        remember_time_zone(request, profile_ensure(user=request.user).time_zone)
        return super().get_login_redirect_url(request)
