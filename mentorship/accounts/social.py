"""Single sign-on through allauth's social accounts (SAML 2.0 and OpenID Connect).

- Each institution's identity provider is configured by its admin in the app
  (`programs.models.IdentityProvider`); `SocialAccountAdapter.list_apps` turns every enabled one
  into an allauth app, so nothing about an IdP lives in settings.
- What the IdP asserts is read through the institution's attribute map. An assertion without an
  email address, or with one of a domain the IdP does not serve, is refused with a page that says
  so. First sign-in creates the account and faculty profile; later ones update the profile.
- An address that already has a password account is linked only after its password is given
  too (`sso_views.link`), never silently by email.
- Two-factor: when the IdP asserts a multi-factor context (SAML AuthnContextClassRef, OIDC
  `acr`/`amr`) `IdpAssuranceStage` records it as this session's second factor, so neither
  allauth's code challenge nor `RequireMfaMiddleware` asks again; otherwise the app's own TOTP
  rule applies exactly as after a password. Every door ends in the same session state machine.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from allauth.account.stages import LoginStage
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.stages import AuthenticateStage
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

log = logging.getLogger(__name__)

AUTHN_CONTEXTS = "mentorship:authn_contexts"
SAML_NAME_ID = "mentorship:name_id"
SAML_SESSION_INDEX = "mentorship:session_index"
IDP_MFA = "mentorship_idp_mfa"
PENDING_LINK = "mentorship_sso_link"
SIGNED_IN_WITH = "mentorship_sso_idp"
SIGNED_OUT_FROM = "mentorship_sso_signed_out"


class InstitutionSAMLProvider(SAMLProvider):
    """allauth's SAML provider, also keeping the authentication context the IdP asserted (for
    the two-factor rule) and the NameID and session index (for signing out at the IdP)."""

    @classmethod
    def get_package(cls) -> str:
        return SAMLProvider.get_package()  # its URLs are allauth's SAML provider's

    def extract_extra_data(self, data: Any) -> dict[str, Any]:
        extra = dict(super().extract_extra_data(data))
        extra[AUTHN_CONTEXTS] = [str(c) for c in data.get_last_authn_contexts()]
        extra[SAML_NAME_ID] = data.get_nameid() or ""
        extra[SAML_SESSION_INDEX] = data.get_session_index() or ""
        return extra


def social_app(idp: Any) -> SocialApp:
    """The allauth app for one identity provider (never saved: the IdentityProvider row is the
    one record of it)."""
    if idp.protocol == "oidc":
        return SocialApp(
            provider="openid_connect",
            provider_id=idp.slug,
            name=idp.display_name,
            client_id=idp.oidc_client_id,
            secret=idp.oidc_client_secret,
            settings={
                "server_url": idp.oidc_issuer,
                "verified_email": list(idp.email_domains),
                "token_auth_method": "client_secret_post",
                "uid_field": "sub",
            },
        )
    email_attribute = idp.attribute_map.get("email", "")
    return SocialApp(
        provider="saml",
        provider_id=idp.slug,
        name=idp.display_name,
        client_id=idp.slug,
        settings={
            "idp": {
                "entity_id": idp.idp_entity_id,
                "sso_url": idp.idp_sso_url,
                "slo_url": idp.idp_slo_url,
                "x509cert": idp.idp_x509cert,
            },
            "attribute_mapping": {
                "email": [email_attribute] if email_attribute else [],
                "first_name": [idp.attribute_map.get("given_name", "")],
                "last_name": [idp.attribute_map.get("family_name", "")],
            },
            "verified_email": list(idp.email_domains),
            "advanced": {
                "strict": True,
                # Only a response whose assertion the IdP signed is accepted.
                "want_assertion_signed": True,
                "want_attribute_statement": False,
                "reject_idp_initiated_sso": True,
                "allow_single_label_domains": True,
            },
        },
    )


def _raw_attributes(idp: Any, extra: dict[str, Any]) -> dict[str, Any]:
    if idp.protocol == "oidc":
        return {**(extra.get("id_token") or {}), **(extra.get("userinfo") or {})}
    return extra


def _contexts(idp: Any, extra: dict[str, Any]) -> list[str]:
    from programs.domain.sso import oidc_contexts

    if idp.protocol == "oidc":
        return oidc_contexts(extra.get("id_token") or {})
    return list(extra.get(AUTHN_CONTEXTS) or [])


def refuse(request: HttpRequest, idp: Any, message: str, *, status: int = 403) -> HttpResponse:
    return render(
        request,
        "socialaccount/sso_refused.html",
        {"idp": idp, "message": message},
        status=status,
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        from programs.selectors.sso import enabled_identity_providers

        apps = []
        for idp in enabled_identity_providers():
            app = social_app(idp)
            if provider and provider not in (app.provider, app.provider_id):
                continue
            if client_id and app.client_id != client_id:
                continue
            apps.append(app)
        return apps

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # The IdP vouches for people of the domains it serves (checked in pre_social_login).
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        from programs.domain.sso import asserted_mfa, first_value, missing_attributes
        from programs.selectors.sso import identity_provider_by_slug
        from programs.services.sso import email_served, sso_profile_sync

        idp = identity_provider_by_slug(sociallogin.account.provider)
        if idp is None or not idp.is_enabled:
            raise ImmediateHttpResponse(
                refuse(request, idp, "Single sign-on is not switched on for this institution.")
            )
        extra = sociallogin.account.extra_data or {}
        raw = _raw_attributes(idp, extra)
        email_attribute = idp.attribute_map.get("email", "")
        email = first_value(raw, email_attribute).lower()
        missing = missing_attributes(idp.attribute_map, raw)
        if missing:
            log.warning("sso: %s sent no %s", idp.slug, ", ".join(missing))
        if not email or "@" not in email:
            raise ImmediateHttpResponse(
                refuse(
                    request,
                    idp,
                    f"{idp.display_name} did not send your email address (the attribute "
                    f"“{email_attribute}” was missing from its answer), so we cannot tell who "
                    f"you are. Please tell {idp.institution.name}'s IT service desk; the "
                    f"attribute must be released to this application.",
                )
            )
        if not email_served(idp, email):
            raise ImmediateHttpResponse(
                refuse(
                    request,
                    idp,
                    f"{idp.display_name} signed you in as {email}, but it signs in only "
                    f"addresses at {', '.join(idp.email_domains)}.",
                )
            )
        sociallogin.state[IDP_MFA] = asserted_mfa(_contexts(idp, extra), idp.mfa_values)
        sociallogin.user.email = email
        sociallogin.email_addresses = [EmailAddress(email=email, verified=True, primary=True)]
        request.session[SIGNED_IN_WITH] = {
            "slug": idp.slug,
            SAML_NAME_ID: extra.get(SAML_NAME_ID, "") if idp.protocol == "saml" else "",
            SAML_SESSION_INDEX: extra.get(SAML_SESSION_INDEX, "") if idp.protocol == "saml" else "",
        }
        if sociallogin.is_existing:
            sso_profile_sync(user=sociallogin.user, idp=idp, raw=raw)
            return
        from mentorship.accounts.models import User

        if User.objects.filter(email__iexact=email).exists():
            # Proving the IdP account is half: the existing account's password is the other.
            request.session[PENDING_LINK] = sociallogin.serialize()
            raise ImmediateHttpResponse(redirect("sso_link"))

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        from programs.selectors.sso import identity_provider_by_slug
        from programs.services.sso import sso_profile_sync

        user = super().save_user(request, sociallogin, form)
        idp = identity_provider_by_slug(sociallogin.account.provider)
        if idp is not None:
            extra = sociallogin.account.extra_data or {}
            sso_profile_sync(user=user, idp=idp, raw=_raw_attributes(idp, extra))
        return user

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Exception | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        """Says in words why a sign-in was refused (the page shows `explanation`)."""
        if extra_context is None:
            return
        reason = str(extra_context.get("saml_last_error_reason") or "") or _chain(exception)
        reason = reason or str(error or "")
        extra_context["explanation"] = explain_refusal(reason)
        log.warning("sso: sign-in refused: %s", reason)


def _chain(exception: BaseException | None) -> str:
    """The exception and its causes (allauth wraps the JWT library's precise reason, e.g. an
    invalid audience, in a general "invalid id_token")."""
    parts: list[str] = []
    while exception is not None and len(parts) < 5:
        parts.append(f"{type(exception).__name__}: {exception}")
        exception = exception.__cause__ or exception.__context__
    return "; ".join(parts)


def explain_refusal(reason: str) -> str:
    """python3-saml's and allauth's reasons, in words for the person and their IT desk."""
    lowered = reason.lower()
    if "audience" in lowered:
        return (
            "The identity provider's answer was addressed to another service (wrong audience), "
            "so it was not accepted. The IdP must be registered with this application's "
            "metadata."
        )
    if "expired" in lowered or "notonorafter" in lowered or "not valid anymore" in lowered:
        return (
            "The identity provider's answer had expired before it reached us. Check that the "
            "clocks of the IdP and this server are right, then try again."
        )
    if "deprecated" in lowered:
        return (
            "The identity provider signed its answer with an outdated algorithm (SHA-1), which "
            "is not accepted. Its administrators must sign with SHA-256."
        )
    if "signed" in lowered or "signature" in lowered:
        return (
            "The identity provider's answer was not signed with its registered certificate, so "
            "it was not accepted."
        )
    if "state" in lowered or "cancel" in lowered:
        return "The sign-in was cancelled or started too long ago. Please try again."
    return "The identity provider's answer could not be accepted."


class IdpAssuranceStage(LoginStage):
    """Runs before the two-factor stage: when the IdP asserted a multi-factor sign-in, this
    session's record says so (as allauth records its own second factor), which is what both the
    code challenge and `RequireMfaMiddleware` read."""

    key = "mentorship_idp_assurance"

    def handle(self) -> tuple[HttpResponse | None, bool]:
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        if isinstance(sociallogin, dict):
            sociallogin = SocialLogin.deserialize(sociallogin)
        if sociallogin is not None and sociallogin.state.get(IDP_MFA) and self.login.user:
            record_authentication(
                self.request,
                self.login.user,
                "mfa",
                type="idp",
                provider=sociallogin.account.provider,
            )
        return None, True


class SsoAwareAuthenticateStage(AuthenticateStage):
    """allauth's code challenge, skipped when the IdP already did the second factor."""

    def _should_handle(self, request: HttpRequest) -> bool:
        if self.login.user is not None and idp_mfa_recorded(request, self.login.user):
            return False
        return super()._should_handle(request)


def idp_mfa_recorded(request: HttpRequest, user: Any) -> bool:
    from allauth.account.authentication import get_authentication_records

    return any(
        (r.get("method"), r.get("type")) == ("mfa", "idp")
        for r in get_authentication_records(request, user)
    )
