"""Reads for circles (facilitated and peer groups): what a participant sees of their program's
circles, and the requests to join one that its facilitator and the directors answer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from programs.models import (
    FacultyProfile,
    JoinRequest,
    JoinRequestStatus,
    MemberSide,
    Program,
    Relationship,
    RelationshipMember,
)
from programs.models.relationships import GROUP_SIZE, RECEIVING_SIDES


def circle_label(circle: Relationship) -> str:
    """How a circle is named in pages and emails: circles have no name of their own."""
    kind = "Facilitated peer group" if circle.kind == "facilitated_group" else "Peer group"
    if circle.focus_area is not None:
        return f"{kind} on {circle.focus_area.name}"
    return f"{kind} started {circle.started_on:%-d %B %Y}"


@dataclass
class CircleEntry:
    circle: Relationship
    label: str
    facilitators: list[FacultyProfile]
    participants: list[FacultyProfile]
    is_mine: bool
    pending: JoinRequest | None = None
    # Names of the members are for the circle's own members only.
    members_shown: list[RelationshipMember] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.participants)

    @property
    def spaces(self) -> int:
        return max(0, GROUP_SIZE[1] - self.size)


def circles_for_participant(
    *, circles: QuerySet[Relationship], person: FacultyProfile
) -> list[CircleEntry]:
    """The circles (from `access.circles_open_to`) with their facilitators, sizes, whether the
    person is in each, and their waiting request to join (three queries)."""
    rows = list(circles.select_related("focus_area").order_by("started_on", "pk"))
    members = (
        RelationshipMember.objects.filter(
            relationship__in=[c.pk for c in rows], left_at__isnull=True
        )
        .select_related("person__user", "person__rank", "person__department")
        .order_by("side", "person__family_name", "person__given_name")
    )
    by_circle: dict[int, list[RelationshipMember]] = defaultdict(list)
    for m in members if rows else []:
        by_circle[m.relationship_id].append(m)
    pending = (
        {
            r.circle_id: r
            for r in JoinRequest.objects.filter(
                person=person, circle__in=rows, status=JoinRequestStatus.PENDING
            )
        }
        if rows
        else {}
    )
    entries = []
    for circle in rows:
        ms = by_circle[circle.pk]
        mine = any(m.person_id == person.pk for m in ms)
        entries.append(
            CircleEntry(
                circle=circle,
                label=circle_label(circle),
                facilitators=[m.person for m in ms if m.side == MemberSide.FACILITATOR],
                participants=[m.person for m in ms if m.side in RECEIVING_SIDES],
                is_mine=mine,
                pending=pending.get(circle.pk),
                members_shown=ms if mine else [],
            )
        )
    # The person's own circles first.
    return sorted(entries, key=lambda e: not e.is_mine)


def circle_join_requests(*, circle: Relationship) -> QuerySet[JoinRequest]:
    """Requests to join this circle: waiting ones first, then the latest answers."""
    return (
        JoinRequest.objects.filter(circle=circle)
        .select_related("person__user", "person__rank", "person__department", "decided_by__profile")
        .order_by("-status", "created_at")
    )


def circle_join_requests_waiting(*, program: Program) -> list[tuple[JoinRequest, str]]:
    """The program's waiting requests to join one of its circles, each with the circle's name:
    the directors' queue beside the requests to join the program."""
    waiting = (
        JoinRequest.objects.filter(
            program=program, status=JoinRequestStatus.PENDING, circle__isnull=False
        )
        .select_related("person__rank", "person__department", "circle__focus_area")
        .order_by("created_at")
    )
    return [(r, circle_label(r.circle)) for r in waiting if r.circle is not None]
