"""What a faculty member offers as a mentor: need areas, roles, availability, experience, training,
and how many mentees they take in each program where they mentor."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from programs.forms.assessments import MentorOfferForm, TrainingForm
from programs.forms.programs import apply_errors
from programs.models import FacultyProfile, MentorOffer, MentorTraining, NeedArea
from programs.selectors.assessments import mentor_memberships, mentor_offer_for
from programs.selectors.people import profile_with_topics
from programs.services.assessments import (
    mentor_offer_update,
    mentor_training_add,
    mentor_training_remove,
)
from programs.services.people import profile_ensure
from programs.views.submissions import once_per_submission


def _offer_form(
    request: AuthenticatedHttpRequest, profile: FacultyProfile, data: Any = None
) -> MentorOfferForm:
    return MentorOfferForm(
        data,
        instance=mentor_offer_for(person=profile) or MentorOffer(person=profile),
        person=profile,
        memberships=list(mentor_memberships(person=profile)),
        areas=NeedArea.objects.order_by("order", "name"),
    )


def _render(
    request: AuthenticatedHttpRequest,
    profile: FacultyProfile,
    form: MentorOfferForm,
    training_form: TrainingForm,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "assessments/mentor_offer.html",
        {
            "profile": profile,
            "form": form,
            "training_form": training_form,
            "trainings": profile.mentor_trainings.all(),
            "has_offer": form.instance.pk is not None,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def mentor_offer(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_with_topics(profile_id=profile_ensure(user=request.user).pk)
    form = _offer_form(request, profile, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mentor_offer_update(
                person=profile,
                offer=form.offer_data(),
                capacities=form.capacities(),
                communication_modes=form.cleaned_data["communication_modes"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, "Saved what you offer as a mentor.")
            return redirect("assessments:mentor_offer")
    status = 400 if form.errors else 200
    return _render(request, profile, form, TrainingForm(prefix="training"), status=status)


@once_per_submission
@require_POST
def training_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_with_topics(profile_id=profile_ensure(user=request.user).pk)
    training_form = TrainingForm(request.POST, prefix="training")
    if training_form.is_valid():
        try:
            training = mentor_training_add(
                person=profile,
                name=training_form.cleaned_data["name"],
                completed_on=training_form.cleaned_data["completed_on"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(training_form, e)
        else:
            messages.success(request, f"Added “{training.name}” to your mentor training.")
            return redirect("assessments:mentor_offer")
    return _render(request, profile, _offer_form(request, profile), training_form, status=400)


@require_POST
def training_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    training = get_object_or_404(MentorTraining, pk=pk, person__user=request.user)
    mentor_training_remove(training=training, by=request.user)
    messages.success(request, f"Removed “{training.name}”.")
    return redirect("assessments:mentor_offer")
