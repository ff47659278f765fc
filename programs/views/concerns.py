"""Confidential concerns: raising one (members), following it (the raiser), and handling it
(the program's directors). Every opening of a concern is written to the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from programs.access import (
    concerns_for_director,
    get_concern_for_director,
    get_concern_for_user,
    get_program_for_director,
    get_relationship_for_user,
)
from programs.forms.programs import apply_errors
from programs.forms.relationships import ConcernForm, ConcernNoteForm, ConcernResolveForm
from programs.models import Concern, ConcernStatus
from programs.selectors.relationships import relationship_members
from programs.services.concerns import (
    concern_acknowledge,
    concern_note_add,
    concern_raise,
    concern_record_view,
    concern_reopen,
    concern_resolve,
    concern_views,
)
from programs.views.submissions import once_per_submission

PER_PAGE = 50


@once_per_submission
@require_http_methods(["GET", "POST"])
def concern_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = get_relationship_for_user(request.user, pk, write=True)
    relationship = viewer.relationship
    form = ConcernForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            concern = concern_raise(relationship=relationship, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                "Your concern went to the program directors only. Nobody else in the "
                "relationship is told or can see it.",
            )
            return redirect(concern)
    return render(
        request,
        "concerns/concern_form.html",
        {
            "relationship": relationship,
            "me": viewer.member,
            "program": relationship.program,
            "form": form,
            "others": [
                m for m in relationship_members(relationship) if m.person.user_id != request.user.pk
            ],
        },
        status=400 if request.method == "POST" else 200,
    )


def concern_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    concern = get_concern_for_user(request.user, pk)
    concern_record_view(concern=concern, by=request.user)
    is_director = concerns_for_director(request.user).filter(pk=concern.pk).exists()
    return _render_concern(request, concern, is_director=is_director)


def _render_concern(
    request: AuthenticatedHttpRequest,
    concern: Concern,
    *,
    is_director: bool,
    note_form: ConcernNoteForm | None = None,
    resolve_form: ConcernResolveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, object] = {
        "concern": concern,
        "program": concern.relationship.program,
        "relationship": concern.relationship,
        "is_director": is_director,
    }
    if is_director:
        context.update(
            {
                "members": relationship_members(concern.relationship),
                "notes": concern.notes.select_related("author__profile"),
                "views": concern_views(concern=concern)[:100],
                "note_form": note_form or ConcernNoteForm(),
                "resolve_form": resolve_form
                or ConcernResolveForm(initial={"resolution": concern.resolution}),
            }
        )
    return render(request, "concerns/concern_detail.html", context, status=status)


@require_POST
def concern_acknowledge_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    concern = get_concern_for_director(request.user, pk)
    concern_acknowledge(concern=concern, by=request.user)
    messages.success(request, "Acknowledged.")
    return redirect(concern)


@require_POST
def concern_resolve_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    concern = get_concern_for_director(request.user, pk)
    form = ConcernResolveForm(request.POST)
    if form.is_valid():
        try:
            concern_resolve(
                concern=concern, resolution=form.cleaned_data["resolution"], by=request.user
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, "Concern resolved.")
            return redirect(concern)
    return _render_concern(request, concern, is_director=True, resolve_form=form, status=400)


@require_POST
def concern_reopen_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    concern = get_concern_for_director(request.user, pk)
    try:
        concern_reopen(concern=concern, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, "Concern reopened.")
    return redirect(concern)


@once_per_submission
@require_POST
def concern_note_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    concern = get_concern_for_director(request.user, pk)
    form = ConcernNoteForm(request.POST)
    if form.is_valid():
        try:
            concern_note_add(concern=concern, text=form.cleaned_data["text"], by=request.user)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, "Note added.")
            return redirect(concern)
    return _render_concern(request, concern, is_director=True, note_form=form, status=400)


def program_concerns(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The list shows who, when and what kind — not the text; opening one is logged."""
    program = get_program_for_director(request.user, pk)
    status = request.GET.get("status", "unresolved")
    concerns = (
        concerns_for_director(request.user)
        .filter(relationship__program=program)
        .select_related("raised_by", "relationship")
        .order_by("-created_at")
    )
    if status == "unresolved":
        concerns = concerns.exclude(status=ConcernStatus.RESOLVED)
    elif status in ConcernStatus.values:
        concerns = concerns.filter(status=status)
    page = Paginator(concerns, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "concerns/program_concerns.html",
        {"program": program, "page": page, "status": status, "statuses": ConcernStatus.choices},
    )
