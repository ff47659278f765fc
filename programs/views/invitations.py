"""Accepting an invitation: set a password and sign in. Reachable without signing in."""

from __future__ import annotations

from allauth.account.utils import perform_login
from allauth.core import ratelimit
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from programs.forms.programs import WelcomeForm
from programs.services.invitations import (
    InvitationError,
    invitation_accept,
    invitation_from_token,
    outside_request_for,
)


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_from_token(token)
    except InvitationError as e:
        return render(request, "invitations/invalid.html", {"reason": str(e)}, status=410)
    form = WelcomeForm(
        request.POST if request.method == "POST" else None, user=invitation.person.user
    )
    # An outside mentor's invitation says who asks, for which need and in which program.
    asked = outside_request_for(invitation)
    # A door to a session like the sign-in form, so throttled like it (per client and per link).
    if request.method == "POST" and not ratelimit.consume(
        request, action="accept_invitation", key=str(invitation.pk)
    ):
        form.is_valid()
        form.add_error(None, "Too many attempts. Wait a few minutes, then try again.")
        return render(
            request,
            "invitations/accept.html",
            {"invitation": invitation, "form": form, "asked": asked},
            status=429,
        )
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["password1"],
                time_zone=form.cleaned_data["time_zone"],
            )
        except InvitationError as e:
            return render(request, "invitations/invalid.html", {"reason": str(e)}, status=410)
        then = reverse("matching:request_detail", args=[asked.pk]) if asked else "/"
        return perform_login(request, user, email_verification="none", redirect_url=then)
    return render(
        request,
        "invitations/accept.html",
        {"invitation": invitation, "form": form, "asked": asked},
    )
