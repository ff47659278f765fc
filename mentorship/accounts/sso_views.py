"""The sign-in pages single sign-on adds: the sign-in form that sends people of an SSO domain to
their identity provider, the "Sign in with <Institution>" buttons, linking an IdP identity to
an existing password account (both proved), and signing out at the IdP after signing out here."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.decorators import login_not_required
from allauth.account.internal.flows.login import record_authentication
from allauth.account.utils import perform_login
from allauth.account.views import LoginView
from allauth.socialaccount.models import SocialLogin
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.accounts.social import (
    PENDING_LINK,
    SAML_NAME_ID,
    SAML_SESSION_INDEX,
    SIGNED_OUT_FROM,
    social_app,
)

_allauth_login = LoginView.as_view()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def allow_forms_to(response: HttpResponse, urls: list[str]) -> HttpResponse:
    """The strict policy's `form-action 'self'` also stops a form whose answer redirects to
    another origin, so pages whose forms lead to an identity provider name its origins."""
    origins = sorted({o for o in map(_origin, urls) if o})
    if origins:
        policy = settings.MENTORSHIP_CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(origins)
        )
        response["Content-Security-Policy"] = policy
    return response


def idp_sign_in_urls(idp: Any) -> list[str]:
    return [idp.oidc_issuer, idp.idp_sso_url]


def _idp_redirect(request: HttpRequest, idp: Any) -> HttpResponse:
    provider = social_app(idp).get_provider(request)
    return provider.redirect_from_request(request)


@login_not_required
def login(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """allauth's sign-in form, except that an address of a single-sign-on domain goes to its
    identity provider: always when the institution allows no passwords, otherwise when no
    password was typed."""
    from programs.selectors.sso import identity_provider_for_email

    if request.method == "POST" and not request.user.is_authenticated:
        email = request.POST.get("login", "").strip()
        idp = identity_provider_for_email(email) if email else None
        if idp is not None and (idp.sso_only or not request.POST.get("password")):
            return _idp_redirect(request, idp)
    response = _allauth_login(request, **kwargs)
    if isinstance(response, TemplateResponse) and response.context_data is not None:
        from programs.selectors.sso import enabled_identity_providers

        providers = list(enabled_identity_providers())
        response.context_data["sso_providers"] = providers
        allow_forms_to(response, [url for idp in providers for url in idp_sign_in_urls(idp)])
    return response


@login_not_required
@require_POST
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """The "Sign in with <Institution>" button."""
    from programs.selectors.sso import identity_provider_by_slug

    idp = identity_provider_by_slug(slug)
    if idp is None or not idp.is_enabled:
        raise Http404("No such sign-in.")
    return _idp_redirect(request, idp)


class LinkForm(forms.Form):
    password = forms.CharField(
        label="Password of your existing account",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest) -> HttpResponse:
    """An IdP has just vouched for an address that already has a password account here: the
    two are joined only when that account's password is given too."""
    from programs.selectors.sso import identity_provider_by_slug
    from programs.services.sso import sso_profile_sync

    data = request.session.get(PENDING_LINK)
    if not data:
        messages.info(request, "That sign-in has expired. Please sign in again.")
        return redirect("account_login")
    sociallogin = SocialLogin.deserialize(data)
    idp = identity_provider_by_slug(sociallogin.account.provider)
    email = sociallogin.user.email
    form = LinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        adapter = get_account_adapter(request)
        user = adapter.authenticate(request, email=email, password=form.cleaned_data["password"])
        if user is None:
            form.add_error("password", "That is not the password of this account.")
        elif idp is not None:
            del request.session[PENDING_LINK]
            sociallogin.connect(request, user)
            from mentorship.accounts.social import _raw_attributes

            sso_profile_sync(
                user=user, idp=idp, raw=_raw_attributes(idp, sociallogin.account.extra_data)
            )
            record_authentication(request, user, "password", email=email)
            record_authentication(
                request,
                user,
                "socialaccount",
                provider=sociallogin.account.provider,
                uid=sociallogin.account.uid,
            )
            messages.success(
                request, f"Your account is now linked to {idp.display_name}'s sign-in."
            )
            return perform_login(
                request,
                user,
                email_verification="none",
                redirect_url=sociallogin.get_redirect_url(request),
                signal_kwargs={"sociallogin": sociallogin},
            )
    return render(request, "account/sso_link.html", {"form": form, "idp": idp, "email": email})


@login_not_required
def signed_out(request: HttpRequest) -> HttpResponse:
    """After signing out here: the offer to sign out at the institution's IdP as well."""
    from programs.selectors.sso import identity_provider_by_slug

    came_from = request.session.get(SIGNED_OUT_FROM) or {}
    idp = identity_provider_by_slug(came_from.get("slug", "")) if came_from else None
    response = render(request, "account/sso_signed_out.html", {"idp": idp})
    if idp is not None:
        allow_forms_to(response, [idp.idp_slo_url, idp.oidc_end_session_url])
    return response


@login_not_required
@require_POST
def idp_logout(request: HttpRequest) -> HttpResponse:
    """Sends the browser to the IdP's sign-out (SAML LogoutRequest or OIDC end-session)."""
    from allauth.socialaccount.providers.saml.utils import build_auth

    from programs.selectors.sso import identity_provider_by_slug

    came_from = request.session.pop(SIGNED_OUT_FROM, None) or {}
    idp = identity_provider_by_slug(came_from.get("slug", "")) if came_from else None
    if idp is None or not idp.supports_idp_logout:
        return redirect("account_login")
    back = request.build_absolute_uri(reverse("account_login"))
    if idp.protocol == "oidc":
        query = urlencode({"client_id": idp.oidc_client_id, "post_logout_redirect_uri": back})
        return redirect(f"{idp.oidc_end_session_url}?{query}")
    auth = build_auth(request, social_app(idp).get_provider(request))
    return redirect(
        auth.logout(
            return_to=back,
            name_id=came_from.get(SAML_NAME_ID) or None,
            session_index=came_from.get(SAML_SESSION_INDEX) or None,
        )
    )
