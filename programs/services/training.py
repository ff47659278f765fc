"""Mentor training and recognition kept by the program: sessions, attendance (by hand or from a
spreadsheet), reminders to mentors short of the program's required hours, awards and
nominations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.domain.training import AttendanceRow
from programs.domain.validators import check_name
from programs.models import (
    MENTOR_ROLES,
    FacultyProfile,
    Membership,
    MentorRecognition,
    Program,
    RecognitionKind,
    TrainingAttendance,
    TrainingSession,
)
from programs.selectors.figures import meets_training_rule, training_hours
from programs.services.audit import audit_record

MAX_HOURS = Decimal("40")


def _check_text(errors: dict[str, str], key: str, value: str, *, required: bool) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            errors[key] = "This field is required."
        return value
    if len(value) > 160:
        errors[key] = "At most 160 characters."
        return value
    try:
        check_name(value)
    except Exception as e:  # domain.validators.Invalid: its message is for the person
        errors[key] = str(getattr(e, "message", e))
    return value


def _check_date(errors: dict[str, str], key: str, value: dt.date | None) -> None:
    today = timezone.localdate()
    if value is None:
        errors[key] = "Give the date."
    elif not (today - dt.timedelta(days=365 * 30) <= value <= today + dt.timedelta(days=366)):
        errors[key] = "Give a date within the last thirty years or the next year."


@transaction.atomic
def training_session_create(
    *,
    program: Program,
    title: str,
    held_on: dt.date | None,
    hours: Decimal | None,
    curriculum: str = "",
    by: User,
) -> TrainingSession:
    errors: dict[str, str] = {}
    title = _check_text(errors, "title", title, required=True)
    curriculum = _check_text(errors, "curriculum", curriculum, required=False)
    _check_date(errors, "held_on", held_on)
    if hours is None or not (Decimal("0.5") <= hours <= MAX_HOURS):
        errors["hours"] = "Give the session's length in hours, from 0.5 to 40."
    if errors or held_on is None or hours is None:
        raise ValidationError(errors)
    session = TrainingSession.objects.create(
        program=program,
        title=title,
        held_on=held_on,
        hours=hours,
        curriculum=curriculum,
        created_by=by,
    )
    audit_record(actor=by, verb="training_session.create", target=session, program=program)
    return session


def _program_people(program: Program) -> dict[int, FacultyProfile]:
    return {
        m.person_id: m.person
        for m in Membership.objects.filter(program=program)
        .exclude(role="director")
        .select_related("person")
    }


@transaction.atomic
def attendance_set(
    *, session: TrainingSession, person_ids: Iterable[int], by: User
) -> tuple[int, int]:
    """Make the session's attendance exactly these people (members of the program). Returns
    (added, removed)."""
    wanted = set(person_ids)
    allowed = _program_people(session.program)
    strangers = wanted - set(allowed)
    if strangers:
        raise ValidationError({"attendees": "Choose attendees among the program's members."})
    present = set(session.attendances.values_list("person_id", flat=True))
    added, removed = wanted - present, present - wanted
    TrainingAttendance.objects.bulk_create(
        [TrainingAttendance(session=session, person_id=pk, recorded_by=by) for pk in added]
    )
    session.attendances.filter(person_id__in=removed).delete()
    audit_record(
        actor=by,
        verb="training_attendance.set",
        target=session,
        program=session.program,
        added=len(added),
        removed=len(removed),
    )
    return len(added), len(removed)


def attendance_check(*, session: TrainingSession, rows: list[AttendanceRow]) -> list[AttendanceRow]:
    """Add to each row what the database says: unknown people, people outside the program,
    duplicates in the file. Writes nothing."""
    emails = {r.email for r in rows if not r.errors}
    people = {
        p.email_lower: p
        for p in FacultyProfile.objects.annotate(email_lower=Lower("user__email")).filter(
            email_lower__in=emails
        )
    }
    members = set(_program_people(session.program))
    seen: dict[str, int] = {}
    for r in rows:
        if r.errors:
            continue
        if r.email in seen:
            r.errors.append(f"Already in row {seen[r.email]}.")
            continue
        seen[r.email] = r.row
        person = people.get(r.email)
        if person is None:
            r.errors.append(f"Nobody with the email {r.email} is on the faculty list.")
        elif person.pk not in members:
            r.errors.append(f"{person.display_name} is not a member of {session.program.name}.")
    return rows


@transaction.atomic
def attendance_import(*, session: TrainingSession, rows: list[AttendanceRow], by: User) -> int:
    """Record everyone in the sheet as having attended, or nobody if any row has an error
    (those errors, row by row, are raised). Returns how many were added."""
    attendance_check(session=session, rows=rows)
    bad = [r for r in rows if r.errors]
    if bad:
        raise ValidationError({"file": [f"Row {r.row}: {' '.join(r.errors)}" for r in bad[:50]]})
    people = dict(
        FacultyProfile.objects.annotate(email_lower=Lower("user__email"))
        .filter(email_lower__in=[r.email for r in rows])
        .values_list("email_lower", "pk")
    )
    present = set(session.attendances.values_list("person_id", flat=True))
    new = [pk for pk in people.values() if pk not in present]
    TrainingAttendance.objects.bulk_create(
        [TrainingAttendance(session=session, person_id=pk, recorded_by=by) for pk in new]
    )
    audit_record(
        actor=by,
        verb="training_attendance.import",
        target=session,
        program=session.program,
        added=len(new),
    )
    return len(new)


def untrained_mentors(program: Program) -> list[Membership]:
    """Mentors of the program short of its required hours (with no rule: with no hours)."""
    mentors = list(
        Membership.objects.filter(program=program, role__in=MENTOR_ROLES, status="active")
        .select_related("person__user")
        .order_by("person__family_name", "person__given_name")
    )
    hours = training_hours(program=program, person_ids=[m.person_id for m in mentors])
    if program.mentor_training_hours_required:
        return [m for m in mentors if not meets_training_rule(program, hours.get(m.person_id))]
    return [m for m in mentors if not hours.get(m.person_id)]


@transaction.atomic
def training_reminders_send(*, program: Program, by: User) -> int:
    """Remind every untrained mentor of the program, through the send ledger: at most once a
    day each (the day is the ledger's cycle), so a double click sends one email. Returns how
    many were planned."""
    today = timezone.localdate()
    planned = notifications_send_soon(
        Planned(
            recipient_id=m.person.user_id,
            kind=Kind.TRAINING_REMINDER,
            subject=f"program:{program.pk}",
            cycle=today.isoformat(),
            program_id=program.pk,
        )
        for m in untrained_mentors(program)
    )
    audit_record(
        actor=by, verb="training.remind", target=program, program=program, planned=len(planned)
    )
    return len(planned)


@transaction.atomic
def recognition_create(
    *,
    program: Program,
    person: FacultyProfile,
    kind: str,
    title: str,
    awarded_on: dt.date | None,
    by: User,
) -> MentorRecognition:
    errors: dict[str, str] = {}
    title = _check_text(errors, "title", title, required=True)
    _check_date(errors, "awarded_on", awarded_on)
    if kind not in RecognitionKind.values:
        errors["kind"] = "Choose award or nomination."
    if not Membership.objects.filter(
        program=program, person=person, role__in=MENTOR_ROLES
    ).exists():
        errors["person"] = f"Choose one of {program.name}'s mentors."
    if errors or awarded_on is None:
        raise ValidationError(errors)
    recognition = MentorRecognition.objects.create(
        program=program,
        person=person,
        kind=kind,
        title=title,
        awarded_on=awarded_on,
        created_by=by,
    )
    audit_record(actor=by, verb="recognition.create", target=recognition, program=program)
    return recognition
