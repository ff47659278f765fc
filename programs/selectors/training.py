"""Reads for the program's training page, a session's attendance and a mentor's own record."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.db.models import Count, QuerySet
from django_stubs_ext import WithAnnotations

from programs.models import (
    MENTOR_ROLES,
    FacultyProfile,
    Membership,
    MentorRecognition,
    MentorTraining,
    Program,
    TrainingAttendance,
    TrainingSession,
)


class Attendance(TypedDict):
    attendance_count: int


def training_sessions(
    *, program: Program
) -> QuerySet[WithAnnotations[TrainingSession, Attendance]]:
    return (
        TrainingSession.objects.filter(program=program)
        .annotate(attendance_count=Count("attendances"))
        .order_by("-held_on", "-pk")
    )


def program_people_for_attendance(*, program: Program) -> list[tuple[int, str]]:
    """Members who can attend (everyone but directors), mentors first, by name."""
    rows = (
        Membership.objects.filter(program=program)
        .exclude(role="director")
        .select_related("person__user")
        .order_by("person__family_name", "person__given_name", "pk")
    )
    mentors = [m for m in rows if m.role in MENTOR_ROLES]
    others = [m for m in rows if m.role not in MENTOR_ROLES]
    return [
        (m.person_id, f"{m.person.display_name} ({m.get_role_display().lower()})")
        for m in [*mentors, *others]
    ]


def program_mentor_choices(*, program: Program) -> list[tuple[int, str]]:
    return [
        (m.person_id, m.person.display_name)
        for m in Membership.objects.filter(program=program, role__in=MENTOR_ROLES)
        .select_related("person__user")
        .order_by("person__family_name", "person__given_name")
    ]


def recognitions(*, program: Program) -> QuerySet[MentorRecognition]:
    return MentorRecognition.objects.filter(program=program).select_related("person__user")


def attendance_of(person: FacultyProfile) -> QuerySet[TrainingAttendance]:
    """A person's recorded training, every program, newest first."""
    return (
        TrainingAttendance.objects.filter(person=person)
        .select_related("session__program")
        .order_by("-session__held_on", "-pk")
    )


class TrainingRecord(TypedDict):
    attended: list[TrainingAttendance]
    hours: Decimal
    self_reported: list[MentorTraining]
    recognitions: list[MentorRecognition]


def training_record(person: FacultyProfile) -> TrainingRecord:
    """What a mentor sees of their own training: sessions recorded by programs (with hours),
    training they reported themselves, and awards and nominations."""
    attended = list(attendance_of(person))
    return {
        "attended": attended,
        "hours": sum((a.session.hours for a in attended), Decimal(0)),
        "self_reported": list(MentorTraining.objects.filter(person=person)),
        "recognitions": list(
            MentorRecognition.objects.filter(person=person).select_related("program")
        ),
    }
