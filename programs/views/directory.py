"""The directory pages for institution admins: departments, divisions, heads and chiefs, each
person's supervisor, and the people search behind the type-ahead pickers."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mentorship.http import AuthenticatedHttpRequest
from programs.access import profiles_visible_to, require_admin
from programs.forms.directory import DepartmentForm, DivisionForm, SupervisorForm
from programs.forms.programs import apply_errors
from programs.models import Department, Division, FacultyProfile, Institution
from programs.services.directory import department_save, division_save, supervisor_set
from programs.views.submissions import once_per_submission

SEARCH_LIMIT = 10


def _institution() -> Institution:
    return get_object_or_404(Institution, is_home=True)


def _pickable(request: AuthenticatedHttpRequest) -> QuerySet[FacultyProfile]:
    return profiles_visible_to(request.user).filter(user__is_active=True)


@require_GET
def people_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The type-ahead's suggestions: at most ten faculty whose name or email matches."""
    require_admin(request.user)
    terms = " ".join(request.GET.getlist(next(iter(request.GET), "q"))).split()[:4]
    people = []
    if terms and len("".join(terms)) >= 2:
        query = _pickable(request)
        for term in terms:
            query = query.filter(
                Q(given_name__icontains=term)
                | Q(family_name__icontains=term)
                | Q(user__email__icontains=term)
            )
        people = list(
            query.select_related("user", "department").order_by("family_name", "given_name")[
                :SEARCH_LIMIT
            ]
        )
    return render(request, "institution/_people_suggestions.html", {"people": people})


@once_per_submission
@require_http_methods(["GET", "POST"])
def directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_admin(request.user)
    institution = _institution()
    form = DepartmentForm(request.POST or None)
    cast(ModelChoiceField, form.fields["head"]).queryset = _pickable(request)
    if request.method == "POST" and form.is_valid():
        try:
            department = department_save(
                institution=institution, **form.cleaned_data, by=request.user
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, f"Department “{department.name}” added.")
            return redirect("institution:directory")
    departments = (
        Department.objects.filter(institution=institution)
        .select_related("head__user")
        .prefetch_related("divisions__chief__user")
        .order_by("name")
    )
    return render(request, "institution/directory.html", {"departments": departments, "form": form})


@once_per_submission
@require_http_methods(["GET", "POST"])
def department_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    department = get_object_or_404(
        Department.objects.select_related("head__user"), pk=pk, institution__is_home=True
    )
    editing = request.POST.get("form") != "division"
    form = DepartmentForm(
        request.POST if request.method == "POST" and editing else None,
        initial={"name": department.name, "head": department.head},
    )
    add_division = DivisionForm(
        request.POST if request.method == "POST" and not editing else None, prefix="division"
    )
    for f, name in ((form, "head"), (add_division, "chief")):
        cast(ModelChoiceField, f.fields[name]).queryset = _pickable(request)
    if request.method == "POST":
        target = form if editing else add_division
        if target.is_valid():
            try:
                if editing:
                    department_save(
                        institution=department.institution,
                        department=department,
                        **form.cleaned_data,
                        by=request.user,
                    )
                    messages.success(request, f"Department “{department.name}” saved.")
                else:
                    division = division_save(
                        department=department, **add_division.cleaned_data, by=request.user
                    )
                    messages.success(request, f"Division “{division.name}” added.")
            except ValidationError as e:
                apply_errors(target, e)
            else:
                return redirect("institution:department_edit", pk=department.pk)
    return render(
        request,
        "institution/department_edit.html",
        {
            "department": department,
            "form": form,
            "add_division": add_division,
            "divisions": department.divisions.select_related("chief").order_by("name"),
        },
    )


@once_per_submission
@require_http_methods(["GET", "POST"])
def division_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    division = get_object_or_404(
        Division.objects.select_related("department", "chief__user"),
        pk=pk,
        department__institution__is_home=True,
    )
    form = DivisionForm(
        request.POST or None, initial={"name": division.name, "chief": division.chief}
    )
    cast(ModelChoiceField, form.fields["chief"]).queryset = _pickable(request)
    if request.method == "POST" and form.is_valid():
        try:
            division_save(
                department=division.department,
                division=division,
                **form.cleaned_data,
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, f"Division “{division.name}” saved.")
            return redirect("institution:department_edit", pk=division.department_id)
    return render(request, "institution/division_edit.html", {"division": division, "form": form})


@require_http_methods(["GET", "POST"])
def supervisor_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    profile = get_object_or_404(
        profiles_visible_to(request.user).select_related("user", "reports_to__user"), pk=pk
    )
    form = SupervisorForm(request.POST or None, initial={"supervisor": profile.reports_to})
    cast(ModelChoiceField, form.fields["supervisor"]).queryset = _pickable(request).exclude(
        pk=profile.pk
    )
    if request.method == "POST" and form.is_valid():
        try:
            supervisor_set(
                profile=profile, supervisor=form.cleaned_data["supervisor"], by=request.user
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, f"{profile.display_name}'s supervisor saved.")
            return redirect("institution:people")
    return render(request, "institution/supervisor_edit.html", {"profile": profile, "form": form})
