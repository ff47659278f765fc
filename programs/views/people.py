"""Faculty profiles: editing one's own, and viewing others one may see."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from mentorship.middleware import remember_time_zone
from mentorship.uploads import upload_was_too_large
from programs.access import (
    can_manage_career,
    can_see_equity_fields,
    get_photo_for_user,
    get_profile_for_user,
    programs_visible_to,
)
from programs.forms.programs import ProfileForm, ProfilePhotoForm, apply_errors
from programs.models import FacultyProfile
from programs.selectors.assessments import ROLE_LABELS, mentor_offer_for
from programs.selectors.people import profile_with_topics
from programs.selectors.programs import memberships_of_person
from programs.services.people import profile_ensure, profile_update
from programs.services.photos import profile_photo_remove, profile_photo_set


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
    return _profile_page(request, profile, form=form)


def _profile_page(
    request: AuthenticatedHttpRequest,
    profile: FacultyProfile,
    *,
    form: ProfileForm | None = None,
    photo_form: ProfilePhotoForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "people/profile_edit.html",
        {
            "form": form or ProfileForm(instance=profile),
            "photo_form": photo_form or ProfilePhotoForm(),
            "profile": profile,
        },
        status=status,
    )


@require_POST
def profile_photo(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload (or replace) one's own photo; a refusal says why next to the field."""
    profile = profile_with_topics(profile_id=profile_ensure(user=request.user).pk)
    request.POST  # noqa: B018 - parse the upload now, so the size handler has run
    form = ProfilePhotoForm(request.POST, request.FILES)
    if upload_was_too_large(request):
        form = ProfilePhotoForm({}, MultiValueDict())
        form.is_valid()
        form.errors["photo"] = form.error_class(
            [
                f"The file is larger than {settings.MENTORSHIP_MAX_UPLOAD_BYTES / 1024 / 1024:g}"
                " MB, so it was not read. Choose a smaller photo."
            ]
        )
        return _profile_page(request, profile, photo_form=form, status=413)
    if form.is_valid():
        upload = form.cleaned_data["photo"]
        try:
            profile_photo_set(
                profile=profile,
                name=upload.name or "",
                size=upload.size or 0,
                stream=upload.file,
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, "Your photo is saved.")
            return redirect("profile_edit")
    return _profile_page(request, profile, photo_form=form, status=400)


@require_POST
def profile_photo_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    profile_photo_remove(profile=profile, by=request.user)
    messages.success(request, "Your photo is removed; your initials are shown instead.")
    return redirect("profile_edit")


@require_GET
def person_photo(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The photo, for whoever may see the person's profile (404 for anyone else)."""
    profile = get_photo_for_user(request.user, pk)
    response = FileResponse(profile.photo.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = "inline"
    return response


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
            "manages_career": can_manage_career(request.user, profile),
            "offer": offer,
            "offer_accepting": offer.is_accepting(timezone.localdate()) if offer else False,
            "trainings": list(profile.mentor_trainings.all()) if offer else [],
            "offer_roles": [ROLE_LABELS[r] for r in offer.roles_offered if r in ROLE_LABELS]
            if offer
            else [],
        },
    )
