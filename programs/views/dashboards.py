"""Personal dashboards: a mentee's board of mentors and a mentor's dashboard."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from mentorship.http import AuthenticatedHttpRequest
from programs.selectors.relationships import board_for, mentor_dashboard_for
from programs.services.people import profile_ensure


def mentee_board(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    return render(
        request, "relationships/board.html", {"profile": profile, "board": board_for(profile)}
    )


def mentor_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    return render(
        request,
        "relationships/mentor_dashboard.html",
        {"profile": profile, "dashboard": mentor_dashboard_for(profile)},
    )
