"""Requests to join a program: the directors' queue and a person's own requests."""

from __future__ import annotations

from django.db.models import QuerySet

from programs.models import FacultyProfile, JoinRequest, JoinRequestStatus, Program


def join_requests_pending(*, program: Program) -> QuerySet[JoinRequest]:
    return (
        JoinRequest.objects.filter(
            program=program, status=JoinRequestStatus.PENDING, circle__isnull=True
        )
        .select_related("person__user", "person__department", "person__rank")
        .order_by("created_at")
    )


def join_requests_of(*, person: FacultyProfile) -> dict[int, JoinRequest]:
    """The person's latest request per program."""
    latest: dict[int, JoinRequest] = {}
    for r in JoinRequest.objects.filter(person=person, circle__isnull=True).order_by("created_at"):
        latest[r.program_id] = r
    return latest
