"""Telling directors about reporting-line conflicts as they appear. A directory change — from
single sign-on, a roster import or the directory pages — can put a current mentor in authority
over their mentee (supervisor, manager further up, division chief, department head: the one rule
is `matching.sources.authority_roles`, listed by `selectors.directory.reporting_line_conflicts`).
Each such pair is emailed once to the program's directors, through the send ledger; they decide
on the members page, where the conflict is listed."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.models import (
    OPEN_STAGES,
    Department,
    Division,
    FacultyProfile,
    Membership,
    Relationship,
    Role,
)
from programs.selectors.directory import reporting_line_conflicts


def conflict_cycle(relationship_id: int, mentee_id: int, mentor_id: int, how: str) -> str:
    return f"{relationship_id}:{mentee_id}:{mentor_id}:{how}"


def reporting_line_conflicts_notify(*, profile_ids: Iterable[int]) -> int:
    """Plans one email per director for every conflict in an open relationship of these people
    (the unique cycle makes a conflict already told a no-op). Returns how many were planned."""
    ids = set(profile_ids)
    if not ids:
        return 0
    relationships = Relationship.objects.filter(
        stage__in=OPEN_STAGES, members__person_id__in=ids, members__left_at__isnull=True
    ).distinct()
    conflicts = reporting_line_conflicts(relationships=relationships)
    if not conflicts:
        return 0
    program_of = dict(
        Relationship.objects.filter(pk__in={c.relationship_id for c in conflicts}).values_list(
            "pk", "program_id"
        )
    )
    directors: dict[int, list[int]] = {}
    for program_id, user_id in Membership.objects.filter(
        program_id__in=set(program_of.values()),
        role=Role.DIRECTOR,
        person__user__is_active=True,
    ).values_list("program_id", "person__user_id"):
        directors.setdefault(program_id, []).append(user_id)
    rows = [
        Planned(
            recipient_id=user_id,
            kind=Kind.REPORTING_CONFLICT,
            subject=f"relationship:{c.relationship_id}",
            cycle=conflict_cycle(c.relationship_id, c.mentee.pk, c.mentor.pk, c.how),
            program_id=program_of[c.relationship_id],
            data={"mentee": c.mentee.pk, "mentor": c.mentor.pk, "how": c.how},
        )
        for c in conflicts
        for user_id in directors.get(program_of[c.relationship_id], [])
    ]
    return len(notifications_send_soon(rows))


def people_under(
    *, department: Department | None = None, division: Division | None = None
) -> list[int]:
    """The people a head's or chief's authority reaches (and the head or chief themselves)."""
    query = Q(pk__in=[])
    if department is not None:
        query |= Q(department=department)
        if department.head_id:
            query |= Q(pk=department.head_id)
    if division is not None:
        query |= Q(division=division)
        if division.chief_id:
            query |= Q(pk=division.chief_id)
    return list(FacultyProfile.objects.filter(query).values_list("pk", flat=True))
