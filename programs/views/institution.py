"""Institution admin pages: programs, directors, inviting faculty, the faculty directory."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import modelformset_factory
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from mentorship.params import id_param, text_param
from programs.access import profiles_visible_to, programs_visible_to, require_admin
from programs.forms.programs import REFERENCE_KINDS, InviteForm, ProgramCreateForm, apply_errors
from programs.models import Department, Invitation, Program
from programs.selectors.people import faculty_directory
from programs.selectors.programs import open_invitations, programs_with_counts
from programs.services.invitations import (
    InvitationError,
    faculty_invite,
    invitation_resend,
    invitation_revoke,
)
from programs.services.programs import program_create, reference_data_save
from programs.views.submissions import once_per_submission

PEOPLE_PER_PAGE = 50


def institution_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_admin(request.user)
    return render(
        request,
        "institution/home.html",
        {
            "programs": programs_with_counts(programs_visible_to(request.user)),
            "invitations": open_invitations()[:10],
        },
    )


@once_per_submission
@require_http_methods(["GET", "POST"])
def program_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_admin(request.user)
    form = ProgramCreateForm(request.POST or None, instance=Program())
    if request.method == "POST" and form.is_valid():
        try:
            fields = {k: v for k, v in form.cleaned_data.items() if k != "revision"}
            program = program_create(by=request.user, **fields)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, f"Created {program.name}. Next, appoint its directors.")
            return redirect("programs:directors", pk=program.pk)
    return render(request, "institution/program_new.html", {"form": form})


@once_per_submission
@require_http_methods(["GET", "POST"])
def invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_admin(request.user)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        department = data.get("department")
        try:
            result = faculty_invite(
                email=data["email"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                institution=department.institution if department else None,
                department=department,
                program=data.get("program"),
                role=data.get("role") or None,
                message=data.get("message", ""),
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            if result.created:
                messages.success(request, f"Invitation sent to {data['email']}.")
            else:
                messages.info(
                    request,
                    f"{result.person.display_name} already has an account"
                    + (" and was added to the program." if result.membership else "."),
                )
            return redirect("institution:invite")
    return render(
        request,
        "institution/invite.html",
        {"form": form, "invitations": open_invitations()[:50]},
    )


@once_per_submission
@require_POST
def invitation_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    require_admin(request.user)
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        if action == "resend":
            invitation_resend(invitation=invitation, by=request.user)
            messages.success(request, f"A new invitation link was sent to {invitation.email}.")
        elif action == "revoke":
            invitation_revoke(invitation=invitation, by=request.user)
            messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
        else:
            raise InvitationError("Unknown action.")
    except InvitationError as e:
        messages.error(request, str(e))
    return redirect("institution:invite")


def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_admin(request.user)
    search = text_param(request.GET.get("q"))
    department_id = id_param(request.GET.get("department"))
    profiles = faculty_directory(
        profiles=profiles_visible_to(request.user), search=search, department_id=department_id
    )
    page = Paginator(profiles, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "institution/people.html",
        {
            "page": page,
            "q": search,
            "department_id": str(department_id or ""),
            "departments": Department.objects.order_by("name"),
        },
    )


@once_per_submission
@require_http_methods(["GET", "POST"])
def reference_data(request: AuthenticatedHttpRequest, kind: str = "ranks") -> HttpResponse:
    """Ranks, streams and need areas are the institution's own vocabulary: rename, reorder,
    retire (never delete — profiles and self-evaluations point at them) or add."""
    require_admin(request.user)
    if kind not in REFERENCE_KINDS:
        raise Http404("No such list.")
    form_class, title, help_text = REFERENCE_KINDS[kind]
    model = form_class._meta.model
    formset_class = modelformset_factory(model, form=form_class, extra=1, can_delete=False)
    ordering = ("order", "name") if hasattr(model, "order") else ("name",)
    formset = formset_class(request.POST or None, queryset=model.objects.order_by(*ordering))
    if request.method == "POST" and formset.is_valid():
        changed = reference_data_save(formset=formset, kind=kind, by=request.user)
        messages.success(request, f"{title}: saved {changed} change{'s' if changed != 1 else ''}.")
        return redirect("institution:reference", kind=kind)
    return render(
        request,
        "institution/reference.html",
        {
            "formset": formset,
            "kind": kind,
            "title": title,
            "help_text": help_text,
            "kinds": [(k, v[1]) for k, v in REFERENCE_KINDS.items()],
        },
    )
