"""Asking to join a program (any faculty member of its institution) and answering (its
directors, from the members page)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from programs.access import get_program_for_director, get_program_to_join
from programs.forms.joining import JOIN_ROLE_CHOICES, JoinAnswerForm, JoinRequestForm
from programs.forms.programs import apply_errors
from programs.models import JoinRequest, JoinRequestStatus
from programs.selectors.joining import join_requests_of
from programs.services.joining import join_request_create, join_request_decide
from programs.services.people import profile_ensure
from programs.views.submissions import once_per_submission


@once_per_submission
@require_http_methods(["GET", "POST"])
def program_join(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_to_join(request.user, pk)
    profile = profile_ensure(user=request.user)
    latest = join_requests_of(person=profile).get(program.pk)
    pending = latest if latest and latest.status == JoinRequestStatus.PENDING else None
    form = JoinRequestForm(request.POST or None)
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            join_request_create(
                program=program,
                person=profile,
                message=form.cleaned_data["message"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                f"Your request to join {program.name} was sent to its directors. "
                "You will hear by email.",
            )
            return redirect("home")
    return render(
        request,
        "programs/join.html",
        {"program": program, "form": form, "pending": pending, "previous": latest},
    )


@require_POST
def join_request_answer(
    request: AuthenticatedHttpRequest, pk: int, request_pk: int
) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    join_request = get_object_or_404(
        JoinRequest.objects.select_related("person"), pk=request_pk, program=program
    )
    form = JoinAnswerForm(request.POST)
    if not form.is_valid():
        # The answer is shown again with the error next to the role (no silent default).
        context = {
            "program": program,
            "join_request": join_request,
            "form": form,
            "join_roles": JOIN_ROLE_CHOICES,
        }
        return render(request, "programs/join_answer.html", context, status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        join_request_decide(
            join_request=join_request,
            approve=approve,
            role=form.cleaned_data["role"] or "mentee",
            by=request.user,
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        name = join_request.person.display_name
        messages.success(
            request,
            f"{name} now takes part in {program.name}."
            if approve
            else f"You declined {name}'s request. They have been told.",
        )
    return redirect("programs:members", pk=program.pk)
