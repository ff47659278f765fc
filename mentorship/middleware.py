"""Request middleware: show times in the viewer's zone, and hold privileged users at the
two-factor set-up page until they have enrolled."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

TZ_SESSION_KEY = "mentorship_tz"
MFA_OK_SESSION_KEY = "mentorship_mfa_ok"


def remember_time_zone(request: HttpRequest, tz_name: str) -> None:
    request.session[TZ_SESSION_KEY] = tz_name
    timezone.activate(zoneinfo.ZoneInfo(tz_name))


class UserTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tz_name = None
        if request.user.is_authenticated:
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


def _profile_time_zone(user: object) -> str:
    from programs.models import FacultyProfile

    tz = FacultyProfile.objects.filter(user=user).values_list("time_zone", flat=True).first()  # type: ignore[misc]
    return tz or settings.TIME_ZONE


class RequireMfaMiddleware:
    """Directors and admins see confidential material, so under production settings they must
    enrol TOTP before anything else. Account and two-factor pages stay reachable."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/invitations/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_enrol(request):
            messages.warning(
                request,
                "Program directors and admins must turn on two-factor sign-in before continuing.",
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    def _must_enrol(self, request: HttpRequest) -> bool:
        if not settings.MENTORSHIP_REQUIRE_MFA_FOR_STAFF or not request.user.is_authenticated:
            return False
        if request.path.startswith(self.ALLOWED_PREFIXES) or request.session.get(
            MFA_OK_SESSION_KEY
        ):
            return False
        from programs.access import roles_for

        if not roles_for(request.user).is_privileged:
            return False
        if Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists():
            request.session[MFA_OK_SESSION_KEY] = True
            return False
        return True
