"""Program pages: what members see, and what directors manage (settings, cohorts, members)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from mentorship.params import id_param, text_param
from programs.access import (
    can_direct,
    get_membership_for_director,
    get_program_for_director,
    get_program_for_user,
    programs_visible_to,
    relationships_overseen_by,
    risks_for_director,
)
from programs.forms.joining import JOIN_ROLE_CHOICES
from programs.forms.programs import (
    AddMemberForm,
    AppointDirectorForm,
    CohortForm,
    MembershipForm,
    ProgramForm,
    apply_errors,
)
from programs.models import Cohort, MembershipStatus, Program, Role
from programs.selectors.assessments import AssessmentState, assessment_states
from programs.selectors.circles import circle_join_requests_waiting
from programs.selectors.directory import reporting_line_conflicts
from programs.selectors.joining import join_requests_pending
from programs.selectors.programs import (
    open_invitations,
    program_cohorts,
    program_directors,
    program_members,
    programs_with_counts,
)
from programs.selectors.reviews import at_risk_relationships
from programs.services.bounces import bounces_for_program
from programs.services.invitations import faculty_invite
from programs.services.programs import (
    StaleSettings,
    cohort_create,
    cohort_update,
    director_appoint,
    membership_remove,
    membership_update,
    program_update,
)
from programs.views.submissions import once_per_submission

MEMBERS_PER_PAGE = 50


def program_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    programs = programs_with_counts(programs_visible_to(request.user))
    return render(request, "programs/program_list.html", {"programs": programs})


def program_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk)
    membership = program.memberships.filter(person__user=request.user).first()
    directs = can_direct(request.user, program)
    return render(
        request,
        "programs/program_detail.html",
        {
            "program": program,
            "membership": membership,
            "can_direct": directs,
            "at_risk_count": at_risk_relationships(
                program=program, risks=risks_for_director(request.user)
            ).count()
            if directs
            else 0,
            "directors": program_directors(program=program),
            "cohorts": program_cohorts(program=program),
        },
    )


@require_http_methods(["GET", "POST"])
def program_settings(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    form = ProgramForm(
        request.POST or None, instance=program, initial={"revision": program.settings_revision}
    )
    saved_meanwhile = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            program_update(program=program, by=request.user, **data)
        except StaleSettings as stale:
            # Keep what this person chose in the form; list what was saved meanwhile beside it;
            # the next save goes through against the revision now shown.
            saved_meanwhile = [
                (form.fields[f].label, _display(stale.current, f))
                for f in ProgramForm.Meta.fields
                if getattr(stale.current, f) != data.get(f)
            ]
            post = request.POST.copy()
            post["revision"] = str(stale.current.settings_revision)
            form = ProgramForm(post, instance=Program.objects.get(pk=program.pk))
            form.is_valid()
            form.add_error(
                None,
                "Someone else saved these settings while you were editing. Your choices are "
                "still in the form; what they saved is listed above it. Save again to keep yours.",
            )
            return render(
                request,
                "programs/program_settings.html",
                {"program": program, "form": form, "saved_meanwhile": saved_meanwhile},
                status=409,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, "Program settings saved.")
            return redirect("programs:detail", pk=program.pk)
    return render(request, "programs/program_settings.html", {"program": program, "form": form})


def _display(program: Program, field: str) -> str:
    getter = getattr(program, f"get_{field}_display", None)
    value = getter() if getter else getattr(program, field)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def member_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    role = request.GET.get("role", "")
    search = text_param(request.GET.get("q"))
    status = request.GET.get("status", "")
    cohort_id = id_param(request.GET.get("cohort"))
    members = program_members(
        program=program, role=role, search=search, cohort_id=cohort_id, status=status
    )
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    states = assessment_states(person_ids=[m.person_id for m in page])
    return render(
        request,
        "programs/member_list.html",
        {
            "program": program,
            "page": page,
            "rows": [(m, states.get(m.person_id, AssessmentState())) for m in page],
            "filters": {"role": role, "q": search, "status": status, "cohort": cohort_id},
            "role_choices": Role.choices,  # not "roles": that name is the navigation's
            "statuses": MembershipStatus.choices,
            "cohorts": Cohort.objects.filter(program=program),
            "add_form": AddMemberForm(program=program),
            "invitations": open_invitations(program=program)[:20],
            "join_requests": list(join_requests_pending(program=program)),
            "circle_requests": circle_join_requests_waiting(program=program),
            "conflicts": reporting_line_conflicts(
                relationships=relationships_overseen_by(request.user).filter(program=program)
            ),
            "join_roles": JOIN_ROLE_CHOICES,
            "bounce_count": bounces_for_program(program=program).count(),
        },
    )


@once_per_submission
@require_POST
def member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    form = AddMemberForm(request.POST, program=program)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = faculty_invite(
                email=data["email"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                institution=program.institution,
                program=program,
                role=data["role"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            if result.created:
                messages.success(
                    request, f"Invited {data['email']} and added them to {program.name}."
                )
            else:
                messages.success(request, f"Added {result.person.display_name} to {program.name}.")
            if data.get("cohort") and result.membership:
                membership_update(
                    membership=result.membership,
                    role=result.membership.role,
                    cohort=data["cohort"],
                    mentor_capacity=result.membership.mentor_capacity,
                    status=result.membership.status,
                    by=request.user,
                )
            return redirect("programs:members", pk=program.pk)
    return render(
        request,
        "programs/member_add.html",
        {"program": program, "add_form": form},
        status=400,
    )


@require_http_methods(["GET", "POST"])
def member_edit(request: AuthenticatedHttpRequest, pk: int, member_pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    membership = get_membership_for_director(request.user, program, member_pk)
    form = MembershipForm(request.POST or None, instance=membership, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            membership_update(membership=membership, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            membership.refresh_from_db()
            apply_errors(form, e)
        else:
            messages.success(request, f"Saved {membership.person.display_name}'s membership.")
            return redirect("programs:members", pk=program.pk)
    return render(
        request,
        "programs/member_edit.html",
        {"program": program, "membership": membership, "form": form},
    )


@require_POST
def member_remove(request: AuthenticatedHttpRequest, pk: int, member_pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    membership = get_membership_for_director(request.user, program, member_pk)
    try:
        membership_remove(membership=membership, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, f"Removed {membership.person.display_name} from {program.name}.")
    return redirect("programs:members", pk=program.pk)


@require_http_methods(["GET", "POST"])
def directors(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    form = AppointDirectorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = director_appoint(
                program=program, person=form.cleaned_data["email"], by=request.user
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request, f"{membership.person.display_name} is now a director of {program.name}."
            )
            return redirect("programs:directors", pk=program.pk)
    return render(
        request,
        "programs/directors.html",
        {"program": program, "form": form, "directors": program_directors(program=program)},
    )


@once_per_submission
@require_http_methods(["GET", "POST"])
def cohort_edit(
    request: AuthenticatedHttpRequest, pk: int, cohort_pk: int | None = None
) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    cohort = get_object_or_404(Cohort, pk=cohort_pk, program=program) if cohort_pk else None
    form = CohortForm(request.POST or None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        try:
            if cohort is None:
                cohort = cohort_create(program=program, by=request.user, **form.cleaned_data)
            else:
                cohort = cohort_update(cohort=cohort, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, f"Cohort “{cohort.name}” saved.")
            return redirect("programs:detail", pk=program.pk)
    return render(
        request, "programs/cohort_form.html", {"program": program, "cohort": cohort, "form": form}
    )
