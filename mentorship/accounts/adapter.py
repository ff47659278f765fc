"""allauth hooks: every new account gets a faculty profile, signing in remembers the time zone,
and allauth's emails (password reset — including to an unknown address — sign-up verification,
sign-in codes) go through the send ledger, so a mail-relay outage delays them instead of failing
the page. Sign-up's domain rule is in `accounts.forms`."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from mentorship.accounts.models import User


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

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        from mentorship.notifications.services import account_email_send

        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        account_email_send(message=message, template=template_prefix.rsplit("/", 1)[-1])

    def get_login_stages(self) -> list[str]:
        """allauth's stages, with single sign-on's assurance check in front of the two-factor
        challenge (see `accounts.social`)."""
        stages = []
        for stage in super().get_login_stages():
            if stage == "allauth.mfa.stages.AuthenticateStage":
                stages.append("mentorship.accounts.social.IdpAssuranceStage")
                stage = "mentorship.accounts.social.SsoAwareAuthenticateStage"
            stages.append(stage)
        return stages

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        """After signing out of a session that came from an IdP which can sign people out too,
        the page that offers it (the app's own session has already ended)."""
        from mentorship.accounts.social import SIGNED_IN_WITH, SIGNED_OUT_FROM

        # allauth asks for this address before it ends the session, and other flows after.
        if request.session.get(SIGNED_IN_WITH) or request.session.get(SIGNED_OUT_FROM):
            from django.urls import reverse

            return reverse("sso_signed_out")
        return str(super().get_logout_redirect_url(request))

    def logout(self, request: HttpRequest) -> None:
        from mentorship.accounts.social import SIGNED_IN_WITH, SIGNED_OUT_FROM

        signed_in_with = request.session.get(SIGNED_IN_WITH)
        super().logout(request)
        if signed_in_with:
            # Kept in the new, anonymous session only to offer signing out at the IdP.
            request.session[SIGNED_OUT_FROM] = signed_in_with

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        from mentorship.middleware import remember_time_zone
        from programs.services.people import profile_ensure

        user = request.user
        assert isinstance(user, User), "allauth asks this only once someone has signed in"
        remember_time_zone(request, profile_ensure(user=user).time_zone)
        return super().get_login_redirect_url(request)
