"""The institution's directory as the exclusion rules read it: who holds authority over whom
(supervisor and everyone above them, division chief, department head), and the current
relationships in which a mentor has come to hold authority over their mentee — e.g. a mentor
appointed the mentee's division chief, or a roster import that changed a reporting line. Such
pairs are listed for the program's directors, who decide (reassign, end, or keep going)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from matching.sources import (
    AUTHORITY_ABOVE,
    AUTHORITY_DEPARTMENT_HEAD,
    AUTHORITY_DIVISION_CHIEF,
    AUTHORITY_SUPERVISOR,
    authority_roles,
)
from programs.models import (
    OPEN_STAGES,
    RECEIVING_SIDES,
    FacultyProfile,
    MemberSide,
    Relationship,
    RelationshipMember,
)

GUIDING_SIDES = (MemberSide.MENTOR, MemberSide.FACILITATOR)


# The roles of `matching.sources.authority_roles` (the one authority rule, which the matching
# pre-filter and the pairing gate read too), in the words the directors' list uses.
AUTHORITY_WORDS = {
    AUTHORITY_SUPERVISOR: "supervisor",
    AUTHORITY_ABOVE: "manager further up the reporting line",
    AUTHORITY_DIVISION_CHIEF: "division chief",
    AUTHORITY_DEPARTMENT_HEAD: "department head",
}


@dataclass(frozen=True)
class ReportingConflict:
    relationship_id: int
    mentee: FacultyProfile
    mentor: FacultyProfile
    how: str


def reporting_line_conflicts(*, relationships: QuerySet[Relationship]) -> list[ReportingConflict]:
    """Open relationships (from the caller's overseen set) where a mentor or facilitator now
    holds authority over a mentee. Four queries."""
    members = list(
        RelationshipMember.objects.filter(
            relationship__in=relationships.filter(stage__in=OPEN_STAGES),
            left_at__isnull=True,
        )
        .select_related("person__user")
        .order_by("relationship_id", "pk")
    )
    by_relationship: dict[int, list[RelationshipMember]] = {}
    for m in members:
        by_relationship.setdefault(m.relationship_id, []).append(m)
    authority = authority_roles({m.person_id for m in members if m.side in RECEIVING_SIDES})
    conflicts = []
    for relationship_id, group in by_relationship.items():
        guides = [m.person for m in group if m.side in GUIDING_SIDES]
        for m in group:
            if m.side not in RECEIVING_SIDES:
                continue
            for guide in guides:
                role = authority.get(m.person_id, {}).get(guide.pk)
                if role:
                    conflicts.append(
                        ReportingConflict(relationship_id, m.person, guide, AUTHORITY_WORDS[role])
                    )
    return conflicts
