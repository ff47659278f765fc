"""A person's career record, for admins and the directors of their programs: rank and stream
histories, and departures recorded, corrected or withdrawn (the outcomes' retention reads
them)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from programs.access import get_career_for_user
from programs.forms.careers import DepartureForm
from programs.forms.programs import apply_errors
from programs.models import Departure, FacultyProfile
from programs.selectors.careers import career_record, departures_of
from programs.services.careers import departure_save, departure_withdraw
from programs.views.submissions import once_per_submission


def _render(
    request: AuthenticatedHttpRequest,
    person: FacultyProfile,
    *,
    form: DepartureForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "people/career.html",
        {"person": person, "record": career_record(person=person), "form": form or DepartureForm()},
        status=status,
    )


@require_GET
def person_career(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render(request, get_career_for_user(request.user, pk))


def _saved(
    request: AuthenticatedHttpRequest,
    person: FacultyProfile,
    form: DepartureForm,
    departure: Departure | None,
) -> Departure | None:
    """The service's answer to a valid form, or None with its errors on the form."""
    if not form.is_valid():
        return None
    try:
        return departure_save(
            person=person, departure=departure, by=request.user, **form.cleaned_data
        )
    except ValidationError as e:
        apply_errors(form, e)
        return None


@once_per_submission
@require_POST
def departure_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = get_career_for_user(request.user, pk)
    form = DepartureForm(request.POST)
    departure = _saved(request, person, form, None)
    if departure is None:
        return _render(request, person, form=form, status=400)
    messages.success(
        request, f"Recorded that {person.display_name} left on {departure.left_on:%-d %B %Y}."
    )
    return redirect("person_career", pk=person.pk)


def _departure(person: FacultyProfile, departure_pk: int) -> Departure:
    departure = departures_of(person).filter(pk=departure_pk).first()
    if departure is None:
        raise Http404("No such departure.")
    return departure


@require_http_methods(["GET", "POST"])
def departure_edit(request: AuthenticatedHttpRequest, pk: int, departure_pk: int) -> HttpResponse:
    person = get_career_for_user(request.user, pk)
    departure = _departure(person, departure_pk)
    if request.method != "POST":
        form = DepartureForm(
            initial={
                "left_on": departure.left_on,
                "reason": departure.reason,
                "note": departure.note,
            }
        )
        return _render_edit(request, person, departure, form)
    form = DepartureForm(request.POST)
    if _saved(request, person, form, departure) is None:
        return _render_edit(request, person, departure, form, status=400)
    messages.success(request, f"Corrected {person.display_name}'s departure.")
    return redirect("person_career", pk=person.pk)


def _render_edit(
    request: AuthenticatedHttpRequest,
    person: FacultyProfile,
    departure: Departure,
    form: DepartureForm,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "people/departure_edit.html",
        {"person": person, "departure": departure, "form": form},
        status=status,
    )


@require_POST
def departure_withdraw_view(
    request: AuthenticatedHttpRequest, pk: int, departure_pk: int
) -> HttpResponse:
    person = get_career_for_user(request.user, pk)
    departure = departure_withdraw(departure=_departure(person, departure_pk), by=request.user)
    messages.success(
        request,
        f"Withdrew the departure of {departure.left_on:%-d %B %Y}: it no longer counts in the "
        "outcomes.",
    )
    return redirect("person_career", pk=person.pk)
