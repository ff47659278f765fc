"""Who may see and change what. Every view, export and email asks this module.

Rules of thumb:
- An object the user may not know exists raises Http404 (never 403), so ids leak nothing.
- A page the user knows exists but may not use (a member opening the director's page of their own
  program) raises PermissionDenied.
- Institution admins see every program; directors see the programs they direct; faculty see their
  own data and the programs they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    AssessmentShare,
    AssessmentStatus,
    FacultyProfile,
    Membership,
    Program,
    Role,
    SelfAssessment,
)

AnyUser = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class Roles:
    """What a user is, program by program; computed once per request with one query."""

    is_admin: bool
    director_of: frozenset[int]
    mentee_in: frozenset[int]
    mentor_in: frozenset[int]

    @property
    def member_of(self) -> frozenset[int]:
        return self.director_of | self.mentee_in | self.mentor_in

    @property
    def is_director(self) -> bool:
        return bool(self.director_of)

    @property
    def is_privileged(self) -> bool:
        """Directors and admins see confidential material and must use two-factor sign-in."""
        return self.is_admin or self.is_director


NO_ROLES = Roles(False, frozenset(), frozenset(), frozenset())


def roles_for(user: AnyUser) -> Roles:
    if not user.is_authenticated:
        return NO_ROLES
    cached = getattr(user, "_mentorship_roles", None)
    if cached is not None:
        return cached
    rows = Membership.objects.filter(person__user=user).values_list("program_id", "role")
    by_role: dict[str, set[int]] = {"director": set(), "mentee": set(), "mentor": set()}
    for program_id, role in rows:
        if role == Role.DIRECTOR:
            by_role["director"].add(program_id)
        if role in MENTEE_ROLES:
            by_role["mentee"].add(program_id)
        if role in MENTOR_ROLES:
            by_role["mentor"].add(program_id)
    roles = Roles(
        is_admin=bool(getattr(user, "is_admin", False)),
        director_of=frozenset(by_role["director"]),
        mentee_in=frozenset(by_role["mentee"]),
        mentor_in=frozenset(by_role["mentor"]),
    )
    user._mentorship_roles = roles  # type: ignore[union-attr]
    return roles


def forget_roles(user: AnyUser) -> None:
    """Call after changing the user's memberships within the same request."""
    if hasattr(user, "_mentorship_roles"):
        del user._mentorship_roles  # type: ignore[union-attr]


# --- Programs -------------------------------------------------------------------------------


def programs_visible_to(user: AnyUser) -> QuerySet[Program]:
    roles = roles_for(user)
    programs = Program.objects.select_related("institution")
    if roles.is_admin:
        return programs
    return programs.filter(pk__in=roles.member_of)


def get_program_for_user(user: AnyUser, pk: int) -> Program:
    try:
        return programs_visible_to(user).get(pk=pk)
    except Program.DoesNotExist:
        raise Http404("No such program.") from None


def can_direct(user: AnyUser, program: Program | int) -> bool:
    roles = roles_for(user)
    program_id = program if isinstance(program, int) else program.pk
    return roles.is_admin or program_id in roles.director_of


def get_program_for_director(user: AnyUser, pk: int) -> Program:
    """The program, if the user directs it (or is an admin). Members get 403, others 404."""
    program = get_program_for_user(user, pk)
    if not can_direct(user, program):
        raise PermissionDenied("Only the program's directors can do this.")
    return program


def require_admin(user: AnyUser) -> None:
    if not roles_for(user).is_admin:
        raise PermissionDenied("Only institution admins can do this.")


def get_membership_for_director(user: AnyUser, program: Program, pk: int) -> Membership:
    if not can_direct(user, program):
        raise PermissionDenied("Only the program's directors can do this.")
    try:
        return Membership.objects.select_related("person__user", "cohort").get(
            pk=pk, program=program
        )
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None


# --- People ---------------------------------------------------------------------------------


def profiles_visible_to(user: AnyUser) -> QuerySet[FacultyProfile]:
    """Profiles the user may open: their own; everyone in programs they direct; the mentors of
    programs they are a mentee in (to choose from); admins see everyone."""
    roles = roles_for(user)
    profiles = FacultyProfile.objects.all()
    if roles.is_admin:
        return profiles
    if not user.is_authenticated:
        return profiles.none()
    visible = Q(user=user)
    if roles.director_of:
        visible |= Q(memberships__program__in=roles.director_of)
    if roles.mentee_in:
        visible |= Q(memberships__program__in=roles.mentee_in, memberships__role__in=MENTOR_ROLES)
    return profiles.filter(visible).distinct()


def get_profile_for_user(user: AnyUser, pk: int) -> FacultyProfile:
    try:
        return (
            profiles_visible_to(user)
            .select_related("user", "institution", "department", "division", "rank", "stream")
            .get(pk=pk)
        )
    except FacultyProfile.DoesNotExist:
        raise Http404("No such person.") from None


def can_see_equity_fields(user: AnyUser, profile: FacultyProfile) -> bool:
    """Self-described gender is only for the person and aggregate reports, never shown to others."""
    return user.is_authenticated and profile.user_id == user.pk


# --- Self-evaluations -----------------------------------------------------------------------

OWNER, SHARED, STRUCTURED = "owner", "shared", "structured"


@dataclass(frozen=True)
class AssessmentAccess:
    """A self-evaluation version and how much of it the user may see: the owner and mentors it is
    shared with see it whole; directors of the person's programs see only its structured parts."""

    assessment: SelfAssessment
    level: str

    @property
    def is_owner(self) -> bool:
        return self.level == OWNER

    @property
    def sees_reflections(self) -> bool:
        return self.level in (OWNER, SHARED)


def get_own_assessment(user: AnyUser, pk: int) -> SelfAssessment:
    """One of the user's own versions or their draft; anyone else's is a 404."""
    if not user.is_authenticated:
        raise Http404("No such self-evaluation.")
    try:
        return SelfAssessment.objects.select_related("person").get(pk=pk, person__user=user)
    except SelfAssessment.DoesNotExist:
        raise Http404("No such self-evaluation.") from None


def get_assessment_for_user(user: AnyUser, pk: int) -> AssessmentAccess:
    """Drafts are the owner's alone. A submitted version is also open to mentors it is actively
    shared with (whole), and to directors of the person's programs and admins (structured parts
    only). Everyone else gets a 404."""
    if not user.is_authenticated:
        raise Http404("No such self-evaluation.")
    assessment = SelfAssessment.objects.filter(pk=pk).only("id", "person_id", "status").first()
    if assessment is None:
        raise Http404("No such self-evaluation.")
    profile_id = FacultyProfile.objects.filter(user=user).values_list("pk", flat=True).first()
    if profile_id is not None and assessment.person_id == profile_id:
        return AssessmentAccess(assessment, OWNER)
    if assessment.status != AssessmentStatus.SUBMITTED:
        raise Http404("No such self-evaluation.")
    if (
        profile_id is not None
        and AssessmentShare.objects.filter(
            assessment=assessment, shared_with_id=profile_id, revoked_at__isnull=True
        ).exists()
    ):
        return AssessmentAccess(assessment, SHARED)
    roles = roles_for(user)
    if roles.is_admin or (
        roles.director_of
        and Membership.objects.filter(
            person_id=assessment.person_id, program_id__in=roles.director_of
        ).exists()
    ):
        return AssessmentAccess(assessment, STRUCTURED)
    raise Http404("No such self-evaluation.")
