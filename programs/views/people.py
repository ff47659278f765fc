"""Faculty profiles: editing one's own, and viewing others one may see."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from mentorship.http import AuthenticatedHttpRequest
from mentorship.middleware import remember_time_zone
from programs.access import can_see_equity_fields, get_profile_for_user, programs_visible_to
from programs.forms.programs import ProfileForm, apply_errors
from programs.selectors.assessments import ROLE_LABELS, mentor_offer_for
from programs.selectors.people import profile_with_topics
from programs.selectors.programs import memberships_of_person
from programs.services.people import profile_ensure, profile_update


@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_with_topics(profile_id=profile_ensure(user=request.user).pk)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            profile_update(
                profile=profile,
                data=form.profile_data(),
                expertise=form.cleaned_data["expertise_text"],
                interests=form.cleaned_data["interests_text"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            remember_time_zone(request, profile.time_zone)
            messages.success(request, "Your profile is saved.")
            return redirect("profile_edit")
    return render(request, "people/profile_edit.html", {"form": form, "profile": profile})


def profile_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    profile = get_profile_for_user(request.user, pk)
    profile = profile_with_topics(profile_id=profile.pk)
    offer = mentor_offer_for(person=profile)
    return render(
        request,
        "people/profile_detail.html",
        {
            "person": profile,
            "memberships": memberships_of_person(person_id=profile.pk).filter(
                program__in=programs_visible_to(request.user)
            ),
            "show_equity_fields": can_see_equity_fields(request.user, profile),
            "is_self": profile.user_id == request.user.pk,
            "offer": offer,
            "offer_accepting": offer.is_accepting(timezone.localdate()) if offer else False,
            "trainings": list(profile.mentor_trainings.all()) if offer else [],
            "offer_roles": [ROLE_LABELS[r] for r in offer.roles_offered if r in ROLE_LABELS]
            if offer
            else [],
        },
    )
