"""The institution's directory as the exclusion rules read it: who holds authority over whom
(supervisor and everyone above them, division chief, department head), and the current
relationships in which a mentor has come to hold authority over their mentee — e.g. a mentor
appointed the mentee's division chief, or a roster import that changed a reporting line. Such
pairs are listed for the program's directors, who decide (reassign, end, or keep going)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from programs.models import (
    OPEN_STAGES,
    RECEIVING_SIDES,
    FacultyProfile,
    MemberSide,
    Relationship,
    RelationshipMember,
)

GUIDING_SIDES = (MemberSide.MENTOR, MemberSide.FACILITATOR)


@dataclass(frozen=True)
class Authority:
    """Everything needed to answer "does X hold authority over Y?" without more queries."""

    reports_to: dict[int, int]  # person → supervisor
    division_chief: dict[int, int]  # division → chief
    department_head: dict[int, int]  # department → head

    def over(self, person: FacultyProfile, other_id: int) -> str | None:
        """How `other_id` holds authority over `person`, in words, or None."""
        if person.division_id and self.division_chief.get(person.division_id) == other_id:
            return "division chief"
        if person.department_id and self.department_head.get(person.department_id) == other_id:
            return "department head"
        current, seen = self.reports_to.get(person.pk), set[int]()
        first = True
        while current is not None and current not in seen and len(seen) < 50:
            if current == other_id:
                return "supervisor" if first else "manager further up the reporting line"
            seen.add(current)
            current, first = self.reports_to.get(current), False
        return None


def authority_map() -> Authority:
    """Three queries, whatever the number of people."""
    from programs.models import Department, Division

    return Authority(
        reports_to=dict(
            FacultyProfile.objects.filter(reports_to__isnull=False).values_list(
                "pk", "reports_to_id"
            )
        ),
        division_chief=dict(
            Division.objects.filter(chief__isnull=False).values_list("pk", "chief_id")
        ),
        department_head=dict(
            Department.objects.filter(head__isnull=False).values_list("pk", "head_id")
        ),
    )


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
    authority = authority_map()
    conflicts = []
    for relationship_id, group in by_relationship.items():
        guides = [m.person for m in group if m.side in GUIDING_SIDES]
        for m in group:
            if m.side not in RECEIVING_SIDES:
                continue
            for guide in guides:
                how = authority.over(m.person, guide.pk)
                if how:
                    conflicts.append(ReportingConflict(relationship_id, m.person, guide, how))
    return conflicts
