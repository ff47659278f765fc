"""Reading programs and their members."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat

from programs.models import Cohort, Invitation, Membership, MembershipStatus, Program, Role


def programs_with_counts(programs: QuerySet[Program]) -> QuerySet[Program]:
    return programs.annotate(
        mentee_count=Count(
            "memberships", filter=Q(memberships__role__in=[Role.MENTEE, Role.BOTH]), distinct=True
        ),
        mentor_count=Count(
            "memberships", filter=Q(memberships__role__in=[Role.MENTOR, Role.BOTH]), distinct=True
        ),
        director_count=Count(
            "memberships", filter=Q(memberships__role=Role.DIRECTOR), distinct=True
        ),
        cohort_count=Count("cohorts", distinct=True),
    ).order_by("name")


def memberships_of_person(*, person_id: int) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(person_id=person_id)
        .select_related("program__institution", "cohort")
        .order_by("program__name")
    )


def program_members(
    *,
    program: Program,
    role: str | None = None,
    search: str = "",
    cohort_id: int | None = None,
    status: str | None = None,
) -> QuerySet[Membership]:
    members = Membership.objects.filter(program=program).select_related(
        "person__user",
        "person__department",
        "person__rank",
        "person__stream",
        "cohort",
    )
    if role == "mentees":
        members = members.filter(role__in=[Role.MENTEE, Role.BOTH])
    elif role == "mentors":
        members = members.filter(role__in=[Role.MENTOR, Role.BOTH])
    elif role in Role.values:
        members = members.filter(role=role)
    if status in MembershipStatus.values:
        members = members.filter(status=status)
    if cohort_id:
        members = members.filter(cohort_id=cohort_id)
    for word in search.split()[:5]:
        members = members.filter(
            Q(person__given_name__icontains=word)
            | Q(person__family_name__icontains=word)
            | Q(person__user__email__icontains=word)
            | Q(person__department__name__icontains=word)
        )
    return members.order_by("person__family_name", "person__given_name", "pk")


def program_directors(*, program: Program) -> QuerySet[Membership]:
    return program_members(program=program, role=Role.DIRECTOR)


def program_cohorts(*, program: Program) -> QuerySet[Cohort]:
    return (
        Cohort.objects.filter(program=program)
        .annotate(member_count=Count("memberships"))
        .order_by("-starts_on", "name")
    )


def open_invitations(*, program: Program | None = None) -> QuerySet[Invitation]:
    """Open invitations, each with the address's latest uncleared bounce (`bounce_message`),
    so whoever sent it sees that it cannot be delivered."""
    from mentorship.notifications.models import Bounce

    bounces = Bounce.objects.filter(
        email__iexact=OuterRef("email"), cleared_at__isnull=True
    ).order_by("-at")
    invitations = (
        Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("person", "program", "invited_by")
        .annotate(
            bounce_message=Subquery(
                bounces.annotate(
                    text=Concat(Cast("code", CharField()), Value(" "), "message")
                ).values("text")[:1]
            )
        )
    )
    if program is not None:
        invitations = invitations.filter(program=program)
    return invitations.order_by("-created_at")


def programs_needing_attention(
    programs: QuerySet[Program], *, concerns: QuerySet[Any], risks: QuerySet[Any]
) -> QuerySet[Program]:
    """What a director should look at first, per program, in one query: open concerns, and
    (from `selectors.figures`, as on the dashboard) relationships quiet or at risk and mentees
    with no mentor. `concerns` and `risks` are what the viewer may know of
    (`access.concerns_for_director`, `access.risks_for_director`): never a concern or flag about
    their own relationship."""
    from programs.models import ConcernStatus
    from programs.selectors.figures import with_program_figures

    def count(queryset: QuerySet) -> Subquery:
        return Subquery(
            queryset.order_by()
            .values("program_id")
            .annotate(n=Count("pk", distinct=True))
            .values("n"),
            output_field=IntegerField(),
        )

    return with_program_figures(programs, risks=risks).annotate(
        open_concerns=Coalesce(
            count(
                concerns.filter(
                    relationship__program=OuterRef("pk"),
                    status__in=[ConcernStatus.OPEN, ConcernStatus.ACKNOWLEDGED],
                ).annotate(program_id=F("relationship__program_id"))
            ),
            0,
        ),
    )
