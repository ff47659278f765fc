"""allauth's and Django's authentication signals are the only hooks into sign-in flows we do not
own, so this is where the session's two-factor state and the audit log learn about them. Each
receiver only records; nothing here decides anything."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import password_changed, password_reset, user_logged_in
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest


def _client_ip(request: HttpRequest | None) -> str:
    from allauth.account.adapter import get_adapter

    if request is None:
        return ""
    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:
        return ""


def _audit(verb: str, *, actor: Any, request: HttpRequest | None, **detail: Any) -> None:
    from programs.services.audit import audit_record

    audit_record(actor=actor, verb=verb, ip=_client_ip(request), **detail)


@receiver(authenticator_added)
def enrolment_counts_as_this_sessions_second_factor(
    sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any
) -> None:
    # Activating TOTP requires a valid code from the new authenticator, so this session has just
    # proved the second factor; the middleware then lets the new enrolee through.
    if authenticator.type == Authenticator.Type.TOTP:
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True
        )
    _audit("account.mfa_added", actor=user, request=request, type=authenticator.type)


@receiver(authenticator_removed)
def audit_authenticator_removed(
    sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any
) -> None:
    _audit("account.mfa_removed", actor=user, request=request, type=authenticator.type)


@receiver(authenticator_reset)
def audit_authenticator_reset(
    sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any
) -> None:
    _audit("account.mfa_reset", actor=user, request=request, type=authenticator.type)


@receiver(user_logged_in)
def audit_sign_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    from allauth.account.authentication import get_authentication_records

    methods = sorted({r.get("method", "") for r in get_authentication_records(request, user)})
    _audit("account.sign_in", actor=user, request=request, methods=methods)


@receiver(user_login_failed)
def audit_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password; only the identifier typed is kept.
    typed = str(credentials.get("email") or credentials.get("username") or "")[:254]
    _audit("account.sign_in_failed", actor=None, request=request, login=typed)


@receiver(user_logged_out)
def audit_sign_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _audit("account.sign_out", actor=user, request=request)


@receiver(password_changed)
def audit_password_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    _audit("account.password_changed", actor=user, request=request)


@receiver(password_reset)
def audit_password_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    _audit("account.password_reset", actor=user, request=request)
