"""Programs, cohorts, memberships and directors."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mentorship.accounts.models import User
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.access import roles_changed
from programs.models import (
    PROGRAM_SETTINGS,
    Cohort,
    FacultyProfile,
    Institution,
    MeetingCadence,
    Membership,
    MembershipStatus,
    MentoringModel,
    Program,
    Role,
)
from programs.services.audit import audit_record

PROGRAM_FIELDS = (*PROGRAM_SETTINGS, "is_active")


@transaction.atomic
def program_create(
    *,
    institution: Institution,
    name: str,
    description: str = "",
    meeting_cadence_days: int = MeetingCadence.MONTHLY,
    review_cadence_months: int = 6,
    pilot_length_days: int = 90,
    allowed_models: list[str] | None = None,
    by: User,
    **extra: Any,
) -> Program:
    if Program.objects.filter(institution=institution, name__iexact=name).exists():
        raise ValidationError({"name": f"{institution} already has a program called “{name}”."})
    program = Program.objects.create(
        institution=institution,
        name=name,
        description=description,
        meeting_cadence_days=meeting_cadence_days,
        review_cadence_months=review_cadence_months,
        pilot_length_days=pilot_length_days,
        allowed_models=allowed_models or [MentoringModel.ONE_TO_ONE],
        **extra,
    )
    audit_record(actor=by, verb="program.create", target=program, program=program)
    return program


class StaleSettings(Exception):
    """The settings were saved by someone else since this page was opened."""

    def __init__(self, current: Program) -> None:
        super().__init__("The program's settings were changed by someone else.")
        self.current = current


@transaction.atomic
def program_update(
    *, program: Program, by: User, revision: int | None = None, **fields: Any
) -> Program:
    """Save settings; `revision` is the one the page showed. A save over a newer one raises
    StaleSettings (carrying the saved values) instead of silently undoing it."""
    unknown = set(fields) - set(PROGRAM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown program fields: {sorted(unknown)}")
    current = Program.objects.select_for_update().get(pk=program.pk)
    if revision is not None and revision != current.settings_revision:
        raise StaleSettings(current)
    program.settings_revision = current.settings_revision + 1
    name = fields.get("name")
    if (
        name
        and Program.objects.filter(institution=program.institution, name__iexact=name)
        .exclude(pk=program.pk)
        .exists()
    ):
        raise ValidationError({"name": f"There is already a program called “{name}”."})
    for field, value in fields.items():
        setattr(program, field, value)
    program.save(update_fields=[*fields, "settings_revision"])
    audit_record(
        actor=by, verb="program.update", target=program, program=program, fields=sorted(fields)
    )
    return program


@transaction.atomic
def cohort_create(
    *, program: Program, name: str, starts_on: date, ends_on: date, by: User
) -> Cohort:
    _validate_cohort(program=program, name=name, starts_on=starts_on, ends_on=ends_on)
    cohort = Cohort.objects.create(program=program, name=name, starts_on=starts_on, ends_on=ends_on)
    audit_record(actor=by, verb="cohort.create", target=cohort, program=program)
    return cohort


@transaction.atomic
def cohort_update(*, cohort: Cohort, name: str, starts_on: date, ends_on: date, by: User) -> Cohort:
    _validate_cohort(
        program=cohort.program, name=name, starts_on=starts_on, ends_on=ends_on, pk=cohort.pk
    )
    cohort.name, cohort.starts_on, cohort.ends_on = name, starts_on, ends_on
    cohort.save(update_fields=["name", "starts_on", "ends_on"])
    audit_record(actor=by, verb="cohort.update", target=cohort, program=cohort.program)
    return cohort


def _validate_cohort(
    *, program: Program, name: str, starts_on: date, ends_on: date, pk: int | None = None
) -> None:
    if ends_on <= starts_on:
        raise ValidationError({"ends_on": "The cohort must end after it starts."})
    clash = Cohort.objects.filter(program=program, name__iexact=name)
    if pk is not None:
        clash = clash.exclude(pk=pk)
    if clash.exists():
        raise ValidationError({"name": f"This program already has a cohort called “{name}”."})


@transaction.atomic
def membership_add(
    *,
    program: Program,
    person: FacultyProfile,
    role: str,
    cohort: Cohort | None = None,
    mentor_capacity: int = 2,
    by: User,
    notify: bool = True,
) -> Membership:
    """Add a person to a program, or change the role of someone already in it. The person is
    told by email (unless `notify` is off, for callers that send their own message)."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role “{role}”."})
    if cohort is not None and cohort.program_id != program.pk:
        raise ValidationError({"cohort": "That cohort belongs to another program."})
    try:
        with transaction.atomic():
            membership, created = Membership.objects.get_or_create(
                program=program,
                person=person,
                defaults={"role": role, "cohort": cohort, "mentor_capacity": mentor_capacity},
            )
    except IntegrityError:  # a concurrent add of the same person won the race
        membership, created = Membership.objects.get(program=program, person=person), False
    became_director = role == Role.DIRECTOR and (created or membership.role != Role.DIRECTOR)
    if not created and (membership.role != role or (cohort and membership.cohort_id != cohort.pk)):
        membership.role = role
        membership.cohort = cohort or membership.cohort
        membership.save(update_fields=["role", "cohort"])
    roles_changed()
    audit_record(
        actor=by,
        verb="membership.add" if created else "membership.change",
        target=membership,
        program=program,
        role=role,
    )
    if notify and (created or became_director):
        _notify_membership(membership, by=by, director=became_director)
    return membership


def _notify_membership(membership: Membership, *, by: User, director: bool) -> None:
    """Tell someone they were added to a program or appointed its director — not when they did
    it themselves. Planned in this transaction; what it says is decided at sending time
    (`programs.notices`)."""
    user_id = Membership.objects.filter(pk=membership.pk).values_list("person__user_id", flat=True)[
        0
    ]
    if by is not None and getattr(by, "pk", None) == user_id:
        return
    notifications_send_soon(
        [
            Planned(
                recipient_id=user_id,
                kind=Kind.DIRECTOR_APPOINTED if director else Kind.PROGRAM_ADDED,
                subject=f"program:{membership.program_id}",
                cycle=f"{'director' if director else 'member'}:{membership.pk}",
                program_id=membership.program_id,
            )
        ]
    )


@transaction.atomic
def membership_update(
    *,
    membership: Membership,
    role: str,
    cohort: Cohort | None,
    mentor_capacity: int,
    status: str,
    by: User,
) -> Membership:
    if cohort is not None and cohort.program_id != membership.program_id:
        raise ValidationError({"cohort": "That cohort belongs to another program."})
    if status not in MembershipStatus.values:
        raise ValidationError({"status": f"Unknown status “{status}”."})
    if membership.role == Role.DIRECTOR and role != Role.DIRECTOR:
        _ensure_another_director(membership)
    became_director = role == Role.DIRECTOR and membership.role != Role.DIRECTOR
    membership.role = role
    membership.cohort = cohort
    membership.mentor_capacity = mentor_capacity
    membership.status = status
    membership.save(update_fields=["role", "cohort", "mentor_capacity", "status"])
    roles_changed()
    audit_record(actor=by, verb="membership.update", target=membership, program=membership.program)
    if became_director:
        _notify_membership(membership, by=by, director=True)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    if membership.role == Role.DIRECTOR:
        _ensure_another_director(membership)
    audit_record(
        actor=by,
        verb="membership.remove",
        target=membership,
        program=membership.program,
        person_id=membership.person_id,
    )
    membership.delete()
    roles_changed()


def _ensure_another_director(membership: Membership) -> None:
    others = Membership.objects.filter(program=membership.program_id, role=Role.DIRECTOR).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise ValidationError(
            "A program needs at least one director. Appoint another director first."
        )


@transaction.atomic
def director_appoint(*, program: Program, person: FacultyProfile, by: User) -> Membership:
    existing = Membership.objects.filter(program=program, person=person).first()
    if existing is not None and existing.role != Role.DIRECTOR:
        raise ValidationError(
            f"{person.display_name} takes part in this program as "
            f"{existing.get_role_display().lower()}. A director oversees pairs and sees "
            "confidential concerns, so remove that role before appointing them."
        )
    return membership_add(program=program, person=person, role=Role.DIRECTOR, by=by)


@transaction.atomic
def reference_data_save(*, formset: Any, kind: str, by: User) -> int:
    """Save an edited list of reference rows (ranks, streams, need areas); returns how many changed."""
    saved = formset.save()
    for row in saved:
        audit_record(actor=by, verb=f"reference.{kind}.save", target=row, name=str(row))
    return len(saved)
