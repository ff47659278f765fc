"""The institution's directory, kept by its admins in the app (issue 14): departments and their
heads, divisions and their chiefs, and each person's supervisor. The exclusion rules read these
(`matching.sources.authority_roles`, the pairing gate's own rule); a change that puts a current
mentor in authority over their mentee is listed for the program's directors, who decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet

from mentorship.accounts.models import User
from programs.access import require_admin
from programs.models import Department, Division, FacultyProfile, Institution
from programs.services.audit import audit_record
from programs.services.conflicts import people_under, reporting_line_conflicts_notify
from programs.services.people import validate_reports_to


def _free_name(
    name: str,
    *,
    siblings: QuerySet[Any],
    renamed: Model | None,
    missing: str,
    taken: Callable[[str], str],
) -> str:
    """The name, trimmed, if no sibling has it already (ignoring case, as the database's unique
    constraint does); `taken(name)` says it is."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": missing})
    if renamed is not None:
        siblings = siblings.exclude(pk=renamed.pk)
    if siblings.filter(name__iexact=name).exists():
        raise ValidationError({"name": taken(name)})
    return name


@transaction.atomic
def department_save(
    *,
    institution: Institution,
    name: str,
    head: FacultyProfile | None,
    by: User,
    department: Department | None = None,
) -> Department:
    require_admin(by)
    name = _free_name(
        name,
        siblings=Department.objects.filter(institution=institution),
        renamed=department,
        missing="Give the department a name.",
        taken=lambda name: f"There is already a department called “{name}”.",
    )
    if department is None:
        department = Department(institution=institution)
    head_changed = department.head_id != (head.pk if head else None)
    department.name, department.head = name, head
    department.save()
    if head_changed:
        reporting_line_conflicts_notify(profile_ids=people_under(department=department))
    audit_record(
        actor=by, verb="department.save", target=department, head=head.pk if head else None
    )
    return department


@transaction.atomic
def division_save(
    *,
    department: Department,
    name: str,
    chief: FacultyProfile | None,
    by: User,
    division: Division | None = None,
) -> Division:
    require_admin(by)
    name = _free_name(
        name,
        siblings=Division.objects.filter(department=department),
        renamed=division,
        missing="Give the division a name.",
        taken=lambda name: f"{department.name} already has a division called “{name}”.",
    )
    if division is None:
        division = Division(department=department)
    chief_changed = division.chief_id != (chief.pk if chief else None)
    division.name, division.chief = name, chief
    division.save()
    if chief_changed:
        reporting_line_conflicts_notify(profile_ids=people_under(division=division))
    audit_record(actor=by, verb="division.save", target=division, chief=chief.pk if chief else None)
    return division


@transaction.atomic
def supervisor_set(*, profile: FacultyProfile, supervisor: FacultyProfile | None, by: User) -> None:
    require_admin(by)
    validate_reports_to(profile=profile, reports_to=supervisor)
    changed = profile.reports_to_id != (supervisor.pk if supervisor else None)
    profile.reports_to = supervisor
    profile.save(update_fields=["reports_to", "updated_at"])
    if changed:
        reporting_line_conflicts_notify(profile_ids=[profile.pk])
    audit_record(
        actor=by,
        verb="profile.supervisor",
        target=profile,
        supervisor=supervisor.pk if supervisor else None,
    )
