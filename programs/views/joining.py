"""Asking to join a program (any faculty member of its institution) and answering (its
directors, from the members page); asking to join one of its circles (its participants) and
answering (the circle's facilitator or the program's directors)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from programs.access import (
    get_circle_for_decider,
    get_circle_join_request,
    get_circle_to_join,
    get_program_for_director,
    get_program_to_join,
)
from programs.forms.joining import (
    JOIN_ROLE_CHOICES,
    CircleAnswerForm,
    CircleJoinForm,
    JoinAnswerForm,
    JoinRequestForm,
)
from programs.forms.programs import apply_errors
from programs.models import JoinRequest, JoinRequestStatus, MemberSide, RelationshipMember
from programs.selectors.circles import circle_join_requests, circle_label
from programs.selectors.joining import join_requests_of
from programs.services.joining import (
    circle_join_request_create,
    circle_join_request_decide,
    join_request_create,
    join_request_decide,
)
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
        JoinRequest.objects.select_related("person"),
        pk=request_pk,
        program=program,
        circle__isnull=True,
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
    _answer(
        request,
        partial(
            join_request_decide,
            join_request=join_request,
            approve=approve,
            role=form.cleaned_data["role"] or "mentee",
            by=request.user,
        ),
        join_request=join_request,
        approved=f"{join_request.person.display_name} now takes part in {program.name}."
        if approve
        else None,
    )
    return redirect("programs:members", pk=program.pk)


def _answer(
    request: AuthenticatedHttpRequest,
    decide: Callable[[], object],
    *,
    join_request: JoinRequest,
    approved: str | None,
) -> None:
    """Answer a request to join (the program or a circle) and say what happened: `approved`
    on an approval, the same words on every decline, or why the answer was refused."""
    try:
        decide()
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        name = join_request.person.display_name
        messages.success(
            request, approved or f"You declined {name}'s request. They have been told."
        )


# --- circles ------------------------------------------------------------------------------------


@once_per_submission
@require_http_methods(["GET", "POST"])
def circle_join(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    circle = get_circle_to_join(request.user, pk)
    profile = profile_ensure(user=request.user)
    pending = JoinRequest.objects.filter(
        circle=circle, person=profile, status=JoinRequestStatus.PENDING
    ).first()
    form = CircleJoinForm(request.POST or None)
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            circle_join_request_create(
                circle=circle, person=profile, message=form.cleaned_data["message"], by=request.user
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                "Your request to join the circle was sent to its facilitator and the program's "
                "directors. You will hear by email.",
            )
            return redirect("matching:peers", pk=circle.program_id)
    facilitators = RelationshipMember.objects.filter(
        relationship=circle, side=MemberSide.FACILITATOR, left_at__isnull=True
    ).select_related("person")
    return render(
        request,
        "relationships/circle_join.html",
        {
            "circle": circle,
            "label": circle_label(circle),
            "program": circle.program,
            "facilitators": [m.person for m in facilitators],
            "form": form,
            "pending": pending,
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


def circle_requests(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The facilitator's (and directors') list of requests to join a circle."""
    circle = get_circle_for_decider(request.user, pk)
    rows = list(circle_join_requests(circle=circle))
    return render(
        request,
        "relationships/circle_requests.html",
        {
            "circle": circle,
            "label": circle_label(circle),
            "program": circle.program,
            "waiting": [r for r in rows if r.status == JoinRequestStatus.PENDING],
            "answered": [r for r in rows if r.status != JoinRequestStatus.PENDING][:30],
        },
    )


@require_POST
def circle_request_answer(
    request: AuthenticatedHttpRequest, pk: int, request_pk: int
) -> HttpResponse:
    circle = get_circle_for_decider(request.user, pk)
    join_request = get_circle_join_request(request.user, circle, request_pk)
    form = CircleAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether to approve or decline.")
        return redirect("circle_join_requests", pk=circle.pk)
    approve = form.cleaned_data["decision"] == "approve"
    _answer(
        request,
        partial(
            circle_join_request_decide, join_request=join_request, approve=approve, by=request.user
        ),
        join_request=join_request,
        approved=f"{join_request.person.display_name} is now in the circle. They have been told."
        if approve
        else None,
    )
    return redirect("circle_join_requests", pk=circle.pk)
