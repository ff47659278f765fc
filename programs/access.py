"""Who may see and change what. Every view, export and email asks this module.

Rules of thumb:
- An object the user may not know exists raises Http404 (never 403), so ids leak nothing.
- A page the user knows exists but may not use (a member opening the director's page of their own
  program) raises PermissionDenied.
- Institution admins see every program; directors see the programs they direct; faculty see their
  own data and the programs they belong to.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from matching.models import MatchRun, MatchSuggestion, MentorRequest
from mentorship.accounts.models import User
from programs.models import (
    GROUP_KINDS,
    MENTEE_ROLES,
    MENTOR_ROLES,
    OPEN_STAGES,
    AssessmentShare,
    AssessmentStatus,
    Concern,
    DirectorNote,
    ExportKind,
    FacultyProfile,
    JoinRequest,
    Meeting,
    Membership,
    MemberSide,
    PrivateNote,
    Program,
    Relationship,
    RelationshipMember,
    RelationshipRisk,
    ReportExport,
    ReviewInstrument,
    ReviewRequest,
    Role,
    RosterImport,
    RosterScope,
    SelfAssessment,
)

AnyUser = User | AnonymousUser


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


# Roles are memoised on the user object, so a page reads them once however many checks it makes.
# A change of role made in the same request must not be answered from that memo: every service
# that adds, changes or removes a membership calls `roles_changed()`, and a memo from before the
# last change is read again. The count is process-wide (a change in one thread makes others read
# again too): reading again is never wrong, only a query more.
_role_changes = itertools.count(1)
_roles_version = 0


@dataclass(frozen=True)
class _RolesMemo:
    version: int
    roles: Roles


def roles_changed() -> None:
    """Say that someone's memberships changed: roles memoised before now are read again."""
    global _roles_version
    _roles_version = next(_role_changes)


def roles_for(user: AnyUser) -> Roles:
    if not isinstance(user, User) or not user.is_authenticated:
        return NO_ROLES
    memo = user.roles_memo
    if isinstance(memo, _RolesMemo) and memo.version == _roles_version:
        return memo.roles
    version = _roles_version  # taken before reading, so a change meanwhile reads again
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
        is_admin=user.is_admin,
        director_of=frozenset(by_role["director"]),
        mentee_in=frozenset(by_role["mentee"]),
        mentor_in=frozenset(by_role["mentor"]),
    )
    user.roles_memo = _RolesMemo(version, roles)
    return roles


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


def programs_open_to_join(user: AnyUser) -> QuerySet[Program]:
    """The active programs of the person's institution that they are not part of: anyone there
    may know these exist and ask to join (issue 14)."""
    if not user.is_authenticated:
        return Program.objects.none()
    profile = FacultyProfile.objects.filter(user=user).only("institution_id").first()
    if profile is None or profile.institution_id is None:
        return Program.objects.none()
    return Program.objects.filter(institution=profile.institution_id, is_active=True).exclude(
        memberships__person=profile
    )


def get_program_to_join(user: AnyUser, pk: int) -> Program:
    try:
        return programs_open_to_join(user).get(pk=pk)
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


def get_program_overseen(user: AnyUser, pk: int) -> Program:
    """The program, if the user directs it (or is an admin); 404 for everyone else, members
    included: pages of people's careers and training records are not the members' business,
    and a member need not learn such a page exists."""
    program = get_program_for_user(user, pk)
    if not can_direct(user, program):
        raise Http404("No such program.")
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
    programs they are a mentee in (to choose from); the people they share a relationship with;
    admins see everyone."""
    roles = roles_for(user)
    profiles = FacultyProfile.objects.all()
    if roles.is_admin:
        return profiles
    if not user.is_authenticated:
        return profiles.none()
    visible = Q(user=user) | Q(pk__in=_people_sharing_a_relationship_with(user))
    if roles.director_of:
        visible |= Q(memberships__program__in=roles.director_of)
    if roles.mentee_in:
        visible |= Q(memberships__program__in=roles.mentee_in, memberships__role__in=MENTOR_ROLES)
        peer_programs = [
            p.pk for p in Program.objects.filter(pk__in=roles.mentee_in) if p.offers_peers
        ]
        if peer_programs:
            # In peer mentoring, participants choose among each other.
            visible |= Q(memberships__program__in=peer_programs, memberships__role__in=MENTEE_ROLES)
    # Whoever was asked (a mentor, a peer, an outside mentor) may look at who asked them.
    visible |= Q(mentor_requests_sent__mentor__user=user)
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


def get_photo_for_user(user: AnyUser, pk: int) -> FacultyProfile:
    """A person's photo is shown to whoever may open their profile (the people rules above);
    to anyone else, and when there is no photo, it does not exist."""
    profile = profiles_visible_to(user).filter(pk=pk).exclude(photo="").only("pk", "photo").first()
    if profile is None:
        raise Http404("No such photo.")
    return profile


def careers_managed_by(user: AnyUser) -> QuerySet[FacultyProfile]:
    """Whose career record (rank and stream history, departures) the user may read and correct:
    admins everyone's; directors the people of the programs they direct (not themselves as
    such); nobody else's, the person included — it is the institution's record, not a page of
    their own."""
    roles = roles_for(user)
    profiles = FacultyProfile.objects.all()
    if roles.is_admin:
        return profiles
    if not roles.director_of:
        return profiles.none()
    return profiles.filter(
        pk__in=Membership.objects.filter(program__in=roles.director_of)
        .exclude(role=Role.DIRECTOR)
        .values("person_id")
    )


def can_manage_career(user: AnyUser, person: FacultyProfile) -> bool:
    return careers_managed_by(user).filter(pk=person.pk).exists()


def get_career_for_user(user: AnyUser, pk: int) -> FacultyProfile:
    """The person, if the user may manage their career record; anyone else gets a 404 (a
    mentee, a mentor or the person need not learn the page exists)."""
    try:
        return careers_managed_by(user).select_related("user", "rank", "stream").get(pk=pk)
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
    if versions_readable_by(user).filter(pk=assessment.pk).exists():
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


# --- Relationships ----------------------------------------------------------------------------
#
# Members see their relationships (including ended ones, read-only); someone who left a group no
# longer sees it. Directors of the relationship's program (and admins) see the director view:
# dates, stages and counts, never meeting content. Confidential material — private notes,
# concerns, ended reasons — is only ever read through the helpers further below.


def _my_memberships(user: User) -> QuerySet[RelationshipMember]:
    return RelationshipMember.objects.filter(person__user=user, left_at__isnull=True)


def _people_sharing_a_relationship_with(user: User) -> QuerySet[RelationshipMember, int]:
    """The ids of everyone in a relationship with the user (a subquery)."""
    mine = _my_memberships(user).values("relationship")
    return RelationshipMember.objects.filter(relationship__in=mine).values_list("person", flat=True)


def relationships_visible_to(user: AnyUser) -> QuerySet[Relationship]:
    roles = roles_for(user)
    relationships = Relationship.objects.all()
    if roles.is_admin:
        return relationships
    if not user.is_authenticated:
        return relationships.none()
    visible = Q(pk__in=_my_memberships(user).values("relationship"))
    if roles.director_of:
        visible |= Q(program__in=roles.director_of)
    return relationships.filter(visible)


@dataclass(frozen=True)
class RelationshipAccess:
    """A relationship and the viewer's relation to it. A person's role as a member always wins
    over their role as the program's director or as an admin: `oversees` (the director's view,
    with its confidential material) is only for directors and admins who are not, and never
    were, in the relationship."""

    relationship: Relationship
    member: RelationshipMember | None  # the viewer's active membership
    was_member: bool  # is or ever was in it (someone who left a group keeps no oversight)
    directs: bool  # directs the relationship's program, or is an admin
    is_admin: bool

    @property
    def is_member(self) -> bool:
        return self.member is not None

    @property
    def side(self) -> str:
        return self.member.side if self.member is not None else ""

    @property
    def oversees(self) -> bool:
        return self.directs and not self.was_member


def relationship_access(user: AnyUser, relationship: Relationship) -> RelationshipAccess:
    """The viewer's relation to a relationship they may see (one query)."""
    memberships = list(
        RelationshipMember.objects.select_related("person").filter(
            relationship=relationship, person__user=user
        )
        if user.is_authenticated
        else []
    )
    return RelationshipAccess(
        relationship=relationship,
        member=next((m for m in memberships if m.left_at is None), None),
        was_member=bool(memberships),
        directs=can_direct(user, relationship.program_id),
        is_admin=roles_for(user).is_admin,
    )


def get_relationship_for_user(user: AnyUser, pk: int, *, write: bool = False) -> RelationshipAccess:
    """The relationship with the viewer's relation to it. `write=True` requires the user to take
    part in it: directors get 403 on the members' actions, everyone else who may not see it gets
    404."""
    relationship = (
        relationships_visible_to(user)
        .select_related("program__institution", "focus_area", "cohort")
        .filter(pk=pk)
        .first()
    )
    if relationship is None:
        raise Http404("No such relationship.")
    access = relationship_access(user, relationship)
    if write and not access.is_member:
        raise PermissionDenied("Only the people in this relationship can do this.")
    return access


def get_relationship_for_director(user: AnyUser, pk: int) -> RelationshipAccess:
    access = get_relationship_for_user(user, pk)
    if not access.directs:
        raise PermissionDenied("Only the program's directors can do this.")
    return access


@dataclass(frozen=True)
class MeetingAccess:
    """A meeting of a relationship the viewer takes part in, with their membership."""

    meeting: Meeting
    member: RelationshipMember

    @property
    def relationship(self) -> Relationship:
        return self.meeting.relationship


def get_meeting_for_user(user: User, pk: int) -> MeetingAccess:
    """A meeting of a relationship the user takes part in. Directors know meetings exist (they
    see the dates) but not what was said: 403. Everyone else: 404."""
    meeting = (
        Meeting.objects.select_related("relationship__program", "relationship__focus_area")
        .filter(pk=pk, relationship__in=_my_memberships(user).values("relationship"))
        .first()
    )
    if meeting is not None:
        member = (
            _my_memberships(user).select_related("person").get(relationship=meeting.relationship_id)
        )
        return MeetingAccess(meeting, member)
    if relationships_visible_to(user).filter(meetings__pk=pk).exists():
        raise PermissionDenied("Meeting notes are for the people in the relationship only.")
    raise Http404("No such meeting.")


# --- Confidential material: read only through these --------------------------------------------


def _ever_member_of(user: User) -> QuerySet[RelationshipMember, int]:
    """The relationships the user is or ever was in (leaving a group does not make one a
    neutral overseer of it)."""
    return RelationshipMember.objects.filter(person__user=user).values_list(
        "relationship", flat=True
    )


def relationships_overseen_by(user: AnyUser) -> QuerySet[Relationship]:
    """Relationships whose confidential signals (review answers, risk flags, concerns, ended
    reasons, director notes) the user may read as a director or admin: those of programs they
    direct (every program for admins), except any they are or were part of — their role as a
    member wins, row by row, on every table, count and export."""
    roles = roles_for(user)
    if not user.is_authenticated or not roles.is_privileged:
        return Relationship.objects.none()
    relationships = Relationship.objects.all()
    if not roles.is_admin:
        relationships = relationships.filter(program__in=roles.director_of)
    return relationships.exclude(pk__in=_ever_member_of(user))


def risks_for_director(user: AnyUser) -> QuerySet[RelationshipRisk]:
    """Risk flags the user may see (see `relationships_overseen_by`)."""
    return RelationshipRisk.objects.filter(relationship__in=relationships_overseen_by(user))


def review_requests_for_director(user: AnyUser) -> QuerySet[ReviewRequest]:
    """Review requests — whether each party answered, and through `response` their answers and
    scores — the user may see as a director."""
    return ReviewRequest.objects.filter(relationship__in=relationships_overseen_by(user))


def versions_readable_by(user: AnyUser) -> QuerySet[SelfAssessment]:
    """Submitted self-evaluation versions the user may read whole — reflections and goals: their
    own, and the versions someone shares with them (until they stop sharing). Sharing is per
    version: sharing an older version never opens a newer one."""
    if not user.is_authenticated:
        return SelfAssessment.objects.none()
    shared = AssessmentShare.objects.filter(shared_with__user=user, revoked_at__isnull=True).values(
        "assessment"
    )
    return SelfAssessment.objects.filter(status=AssessmentStatus.SUBMITTED).filter(
        Q(person__user=user) | Q(pk__in=shared)
    )


def private_note_of(user: AnyUser, meeting: Meeting) -> PrivateNote | None:
    """The user's own private note on a meeting. There is no way to read anyone else's."""
    if not user.is_authenticated:
        return None
    return PrivateNote.objects.filter(meeting=meeting, author__user=user).first()


def can_see_ended_reason(user: AnyUser, relationship: Relationship) -> bool:
    """Directors of the program see why a relationship ended; its members never do, even if
    they also happen to be directors or admins."""
    return relationships_overseen_by(user).filter(pk=relationship.pk).exists()


def concerns_visible_to(user: AnyUser) -> QuerySet[Concern]:
    """Concerns the user raised, plus — for directors and admins — the concerns of programs they
    oversee, except any about a relationship they are or were part of. The other party of a
    relationship therefore never sees a concern, whatever their other roles."""
    roles = roles_for(user)
    if not user.is_authenticated:
        return Concern.objects.none()
    visible = Q(raised_by__user=user)
    if roles.is_privileged:
        visible |= Q(relationship__in=relationships_overseen_by(user))
    return Concern.objects.filter(visible)


def concerns_for_director(user: User) -> QuerySet[Concern]:
    """Only the oversight part of `concerns_visible_to` (not the user's own concerns)."""
    return concerns_visible_to(user).exclude(raised_by__user=user)


def get_concern_for_user(user: AnyUser, pk: int) -> Concern:
    """The raiser may follow their own concern's status; directors see and act on it."""
    concern = (
        concerns_visible_to(user)
        .select_related("relationship__program", "raised_by__user")
        .filter(pk=pk)
        .first()
    )
    if concern is None:
        raise Http404("No such concern.")
    return concern


def get_concern_for_director(user: User, pk: int) -> Concern:
    concern = get_concern_for_user(user, pk)
    if not concerns_for_director(user).filter(pk=concern.pk).exists():
        raise PermissionDenied("Only the program's directors can act on a concern.")
    return concern


def concern_alert_recipients(concern: Concern) -> list[FacultyProfile]:
    """Who is told a concern was raised: the program's directors (never anyone in the
    relationship). A program without directors falls back to the institution admins."""
    part_of = RelationshipMember.objects.filter(relationship=concern.relationship_id).values(
        "person"
    )
    directors = list(
        FacultyProfile.objects.select_related("user")
        .filter(
            memberships__program=concern.relationship.program_id,
            memberships__role=Role.DIRECTOR,
            user__is_active=True,
        )
        .exclude(pk__in=part_of)
    )
    if directors:
        return directors
    return list(
        FacultyProfile.objects.select_related("user")
        .filter(user__is_institution_admin=True, user__is_active=True)
        .exclude(pk__in=part_of)
    )


# --- Matching -----------------------------------------------------------------------------------


def get_mentee_membership(user: User, program_pk: int) -> Membership:
    """The user's mentee membership in a program: the key to its mentor shortlist."""
    program = get_program_for_user(user, program_pk)
    membership = (
        Membership.objects.select_related("program", "person", "cohort")
        .filter(program=program, person__user=user, role__in=MENTEE_ROLES)
        .first()
    )
    if membership is None:
        raise Http404("You are not a mentee in this program.")
    return membership


def mentor_requests_visible_to(user: AnyUser) -> QuerySet[MentorRequest]:
    """The two people in a request see it; directors of its program see it for oversight."""
    roles = roles_for(user)
    requests = MentorRequest.objects.all()
    if roles.is_admin:
        return requests
    if not user.is_authenticated:
        return requests.none()
    visible = Q(mentee__user=user) | Q(mentor__user=user)
    if roles.director_of:
        visible |= Q(program__in=roles.director_of)
    return requests.filter(visible)


def get_request_for_user(user: AnyUser, pk: int) -> MentorRequest:
    request = (
        mentor_requests_visible_to(user)
        .select_related("program__institution", "mentee__user", "mentor__user", "focus_area")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404("No such request.")
    return request


def get_request_for_mentor(user: AnyUser, pk: int) -> MentorRequest:
    request = get_request_for_user(user, pk)
    if request.mentor.user_id != user.pk:
        raise PermissionDenied("Only the mentor who was asked can answer.")
    return request


def get_request_for_mentee(user: AnyUser, pk: int) -> MentorRequest:
    request = get_request_for_user(user, pk)
    if request.mentee.user_id != user.pk:
        raise PermissionDenied("Only the mentee who asked can withdraw.")
    return request


def get_request_for_withdrawal(user: AnyUser, pk: int) -> MentorRequest:
    """Who asked withdraws; an outside mentor's invitation may also be withdrawn by the
    program's directors (it waits, visible to them, until the mentor answers)."""
    request = get_request_for_user(user, pk)
    if request.mentee.user_id == user.pk:
        return request
    if request.kind == "outside" and can_direct(user, request.program_id):
        return request
    raise PermissionDenied("Only the person who asked can withdraw.")


def get_match_run_for_director(user: AnyUser, program: Program, pk: int) -> MatchRun:
    if not can_direct(user, program):
        raise PermissionDenied("Only the program's directors can do this.")
    run = MatchRun.objects.filter(pk=pk, program=program).select_related("cohort").first()
    if run is None:
        raise Http404("No such proposal.")
    return run


def get_suggestion_for_director(user: AnyUser, run: MatchRun, pk: int) -> MatchSuggestion:
    if not can_direct(user, run.program_id):
        raise PermissionDenied("Only the program's directors can do this.")
    suggestion = (
        MatchSuggestion.objects.select_related("mentee", "mentor", "run__program")
        .filter(pk=pk, run=run)
        .first()
    )
    if suggestion is None:
        raise Http404("No such suggestion.")
    return suggestion


def director_notes_visible_to(user: AnyUser, relationship: Relationship) -> QuerySet[DirectorNote]:
    """Directors' confidential notes on a relationship: for the program's directors and admins
    who are not (and were not) in it. Everyone else — the pair above all — gets nothing."""
    if not can_see_ended_reason(user, relationship):
        return DirectorNote.objects.none()
    return DirectorNote.objects.filter(relationship=relationship).select_related("author__profile")


def get_roster_import_for_user(user: AnyUser, pk: int, program: Program | None) -> RosterImport:
    """A roster upload is its uploader's draft: nobody else opens or confirms it. One uploaded
    on a program's pages (`program` given) is reachable only through that program's pages; one
    uploaded on the institution's pages (`program` None) only through those."""
    roster = (
        RosterImport.objects.select_related("program")
        .filter(pk=pk, uploaded_by_id=getattr(user, "pk", None))
        .first()
        if user.is_authenticated
        else None
    )
    if roster is not None:
        if program is not None:
            belongs = roster.scope == RosterScope.PROGRAM and roster.program_id == program.pk
        else:
            belongs = roster.scope == RosterScope.INSTITUTION
        if not belongs:
            roster = None
    if roster is None:
        raise Http404("No such roster import.")
    return roster


def get_report_export_for_user(user: AnyUser, program: Program, pk: int) -> ReportExport:
    """An export of `program` that this user requested, while they still direct the program.
    Everyone else — other directors' and other programs' job ids included — gets a 404."""
    if not can_direct(user, program):
        raise Http404("No such export.")
    export = ReportExport.objects.filter(
        pk=pk, program=program, requested_by_id=getattr(user, "pk", None)
    ).first()
    if export is None:
        raise Http404("No such export.")
    return export


def get_institution_report_export_for_user(user: AnyUser, pk: int) -> ReportExport:
    """An all-programs report this admin requested. Non-admins get 403 (as on every institution
    page); other admins' exports and programs' exports get a 404."""
    require_admin(user)
    export = (
        ReportExport.objects.select_related("institution")
        .filter(
            pk=pk,
            kind=ExportKind.INSTITUTION_REPORT,
            requested_by_id=getattr(user, "pk", None),
        )
        .first()
    )
    if export is None:
        raise Http404("No such export.")
    return export


# --- Relationship reviews ------------------------------------------------------------------------
#
# Each party's answers are theirs and the directors': never the other party's — not even whether
# they answered. Directors who are themselves in a relationship see its reviews as a member would
# (not at all), like ended reasons and concerns.


def get_relationship_for_review_results(user: AnyUser, pk: int) -> RelationshipAccess:
    """The relationship, for its directors' review results. Members (who know it exists) get
    403; everyone else 404."""
    access = get_relationship_for_user(user, pk)
    if not access.oversees:
        raise PermissionDenied("Review answers are for the program's directors only.")
    return access


def get_instrument_for_director(user: AnyUser, program: Program, pk: int) -> ReviewInstrument:
    """One of the program's own instruments or one shipped with the app."""
    if not can_direct(user, program):
        raise PermissionDenied("Only the program's directors can do this.")
    instrument = (
        ReviewInstrument.objects.filter(pk=pk)
        .filter(Q(program=program) | Q(program__isnull=True))
        .first()
    )
    if instrument is None:
        raise Http404("No such review instrument.")
    return instrument


# --- Circles (facilitated and peer groups) -------------------------------------------------------


def circles_open_to(user: AnyUser, program: Program) -> QuerySet[Relationship]:
    """The open circles of a program, for its participants (mentees, or mentee and mentor) to
    see and ask to join; their members' names are only shown to the circle's own members."""
    if program.pk not in roles_for(user).mentee_in:
        return Relationship.objects.none()
    return Relationship.objects.filter(program=program, kind__in=GROUP_KINDS, stage__in=OPEN_STAGES)


def get_circle_to_join(user: AnyUser, pk: int) -> Relationship:
    """A circle the user may ask to join: open, of a program they take part in as a mentee."""
    circle = (
        Relationship.objects.select_related("program", "focus_area")
        .filter(
            pk=pk,
            kind__in=GROUP_KINDS,
            stage__in=OPEN_STAGES,
            program__in=roles_for(user).mentee_in,
        )
        .first()
    )
    if circle is None:
        raise Http404("No such circle.")
    return circle


def facilitates(user: AnyUser, circle: Relationship) -> bool:
    return (
        user.is_authenticated
        and RelationshipMember.objects.filter(
            relationship=circle,
            side=MemberSide.FACILITATOR,
            left_at__isnull=True,
            person__user=user,
        ).exists()
    )


def can_decide_circle_request(user: AnyUser, circle: Relationship) -> bool:
    """A circle's facilitator and its program's directors answer requests to join it."""
    return can_direct(user, circle.program_id) or facilitates(user, circle)


def get_circle_for_decider(user: AnyUser, pk: int) -> Relationship:
    """A circle whose requests to join the user answers. Its members get 403 (they know it
    exists); anyone else who may not see it gets 404."""
    circle = (
        relationships_visible_to(user)
        .select_related("program", "focus_area")
        .filter(pk=pk, kind__in=GROUP_KINDS)
        .first()
    )
    if circle is None:
        raise Http404("No such circle.")
    if not can_decide_circle_request(user, circle):
        raise PermissionDenied("Only the circle's facilitator or the program's directors answer.")
    return circle


def get_circle_join_request(user: AnyUser, circle: Relationship, pk: int) -> JoinRequest:
    request = (
        JoinRequest.objects.select_related("person__user", "program", "circle")
        .filter(pk=pk, circle=circle)
        .first()
    )
    if request is None or not can_decide_circle_request(user, circle):
        raise Http404("No such request.")
    return request
