"""Request middleware: show times in the viewer's zone, and hold privileged users (and anyone
with an authenticator) until this session has passed the second factor."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.params import path_ids_in_range

TZ_SESSION_KEY = "mentorship_tz"


def remember_time_zone(request: HttpRequest, tz_name: str) -> None:
    request.session[TZ_SESSION_KEY] = tz_name
    timezone.activate(zoneinfo.ZoneInfo(tz_name))


class UserTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tz_name = None
        if isinstance(request.user, User):  # signed in
            tz_name = request.session.get(TZ_SESSION_KEY)
            if tz_name is None:
                tz_name = _profile_time_zone(request.user)
                request.session[TZ_SESSION_KEY] = tz_name
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz_name or settings.TIME_ZONE))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _profile_time_zone(user: User) -> str:
    from programs.models import FacultyProfile

    tz = FacultyProfile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return tz or settings.TIME_ZONE


class RequireMfaMiddleware:
    """One session state machine for every door (the app's sign-in, the Django admin — which
    goes through allauth's, see urls.py — password reset, invitation acceptance, any later
    single sign-on): when two-factor sign-in is required, a director or admin cannot reach
    any page until *this session* has passed the second factor. Someone without an
    authenticator is sent to enrol (activating one proves the code, see `accounts.receivers`);
    someone with one whose session never used it is asked for a code. Having an authenticator
    is not enough: a session signed in with a password alone stays held here."""

    # Only what enrolling or answering the challenge needs, and signing out.
    ALLOWED_URL_NAMES = (
        "account_logout",
        "account_reauthenticate",
        "mfa_activate_totp",
        "mfa_reauthenticate",
        "mfa_authenticate",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
    )
    ALLOWED_PREFIXES = ("/static/",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._allowed_paths: frozenset[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = self._state(request)
        if state == "enrol":
            messages.warning(
                request,
                "Program directors and admins must turn on two-factor sign-in before continuing.",
            )
            return redirect(reverse("mfa_activate_totp"))
        if state == "verify":
            messages.info(request, "Enter the code from your authenticator app to continue.")
            target = reverse("mfa_reauthenticate")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)

    def _allowed(self, path: str) -> bool:
        if self._allowed_paths is None:
            self._allowed_paths = frozenset(reverse(name) for name in self.ALLOWED_URL_NAMES)
        return path in self._allowed_paths or path.startswith(self.ALLOWED_PREFIXES)

    def _state(self, request: HttpRequest) -> str:
        """ "ok", "enrol" (no authenticator yet) or "verify" (this session has not used it)."""
        if not settings.MENTORSHIP_REQUIRE_MFA_FOR_STAFF or not request.user.is_authenticated:
            return "ok"
        if session_passed_mfa(request) or self._allowed(request.path):
            return "ok"
        has_totp = Authenticator.objects.filter(
            user=request.user, type=Authenticator.Type.TOTP
        ).exists()
        if has_totp:
            return "verify"
        from programs.access import roles_for

        if roles_for(request.user).is_privileged or request.user.is_staff:
            return "enrol"
        return "ok"


def session_passed_mfa(request: HttpRequest) -> bool:
    """Whether this session (not merely this user) has answered a second-factor challenge:
    allauth records each authentication step of the session."""
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, request.user))


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy on every response (scripts and styles only from our own
    static files, never inline, never framed), and `no-store` on every page shown to a signed-in
    person: nearly every such page carries something confidential (concerns, meetings, reviews,
    self-evaluations, private and director notes), and a shared computer's cache or back button
    must not show it to the next person."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.MENTORSHIP_CONTENT_SECURITY_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            cache_control = response.get("Cache-Control", "")
            if "no-store" not in cache_control:
                response["Cache-Control"] = ", ".join(filter(None, [cache_control, "no-store"]))
        return response


class BoundedPathIdsMiddleware:
    """`<int:pk>` accepts any number of digits; an id no database column can hold is simply an
    object that does not exist (404), rather than an overflow error (500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not path_ids_in_range(request.path):
            raise Http404("No such page.")
        return self.get_response(request)
