"""Asking to join a program (issue 14): a faculty member in a program's institution asks, one of
its directors approves — choosing the role — or declines; both sides are told by email.

Asking to join a circle (issue 16) is the same request with a `circle`: a participant of the
program asks, a director or the circle's facilitator approves — the person joins through
`relationship_create` and the pairing gate — or declines; both sides are told by email."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.access import can_decide_circle_request, can_direct, programs_open_to_join
from programs.models import (
    MENTEE_ROLES,
    FacultyProfile,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MemberSide,
    Program,
    Relationship,
    RelationshipMember,
    RelationshipSource,
    Role,
)
from programs.models.relationships import GROUP_KINDS, GROUP_SIZE, OPEN_STAGES, RECEIVING_SIDES
from programs.services.audit import audit_record
from programs.services.pairing import PairingRefused
from programs.services.programs import membership_add
from programs.services.relationships import relationship_create

JOINABLE_ROLES = (Role.MENTEE, Role.MENTOR, Role.BOTH)


@transaction.atomic
def join_request_create(
    *, program: Program, person: FacultyProfile, message: str = "", by: User
) -> JoinRequest:
    """Ask to join; asking again while a request waits returns that request (it is not
    duplicated, and the directors are not emailed twice)."""
    if person.user_id != getattr(by, "pk", None):
        raise ValidationError("People ask to join programs for themselves.")
    if Membership.objects.filter(program=program, person=person).exists():
        raise ValidationError(f"You already take part in {program.name}.")
    if not programs_open_to_join(by).filter(pk=program.pk).exists():
        raise ValidationError(f"{program.name} is not open to people of your institution.")
    request, created = _pending_request(program, person, None, message)
    if created:
        directors = Membership.objects.filter(
            program=program, role=Role.DIRECTOR, person__user__is_active=True
        ).values_list("person__user_id", flat=True)
        _record_asked(request, program, directors, by=by, verb="join_request.create")
    return request


def _record_asked(
    request: JoinRequest, program: Program, deciders: Iterable[int], *, by: User, verb: str
) -> None:
    """Audit a new request to join (the program or a circle) and ask those who answer it."""
    audit_record(actor=by, verb=verb, target=request, program=program)
    notifications_send_soon(
        Planned(
            recipient_id=user_id,
            kind=Kind.JOIN_REQUEST,
            subject=f"join:{request.pk}",
            cycle="asked",
            program_id=program.pk,
        )
        for user_id in deciders
    )


def _pending_request(
    program: Program, person: FacultyProfile, circle: Relationship | None, message: str
) -> tuple[JoinRequest, bool]:
    """The person's waiting request to join the program (or one of its circles), made now
    unless one waits already; and whether it was made now."""
    message = (message or "").replace("\r\n", "\n").strip()
    try:
        with transaction.atomic():
            return JoinRequest.objects.get_or_create(
                program=program,
                person=person,
                circle=circle,
                status=JoinRequestStatus.PENDING,
                defaults={"message": message},
            )
    except IntegrityError:  # a double click raced the first one
        request = JoinRequest.objects.get(
            program=program, person=person, circle=circle, status=JoinRequestStatus.PENDING
        )
        return request, False


@transaction.atomic
def join_request_decide(
    *, join_request: JoinRequest, approve: bool, role: str = Role.MENTEE, by: User
) -> JoinRequest:
    """Approve (adding the person with `role`) or decline. Answering again the same way is a
    no-op; a request another director already answered the other way is refused."""
    request = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("program", "person")
        .get(pk=join_request.pk)
    )
    if request.circle_id is not None:
        raise ValidationError("This is a request to join a circle; answer it on the circle's page.")
    if not can_direct(by, request.program_id):
        raise ValidationError("Only the program's directors can answer requests to join.")
    wanted = JoinRequestStatus.APPROVED if approve else JoinRequestStatus.DECLINED
    if request.status == wanted:
        return request
    if request.status != JoinRequestStatus.PENDING:
        raise ValidationError(
            f"This request was already {request.get_status_display().lower()} by another director."
        )
    if approve:
        if role not in JOINABLE_ROLES:
            raise ValidationError({"role": "Choose mentee, mentor, or both."})
        membership_add(
            program=request.program, person=request.person, role=role, by=by, notify=False
        )
        request.role = role
    _record_answer(request, wanted, by=by, verb=f"join_request.{wanted}")
    return request


def _record_answer(request: JoinRequest, wanted: str, *, by: User, verb: str) -> None:
    """Store the answer to a request to join (the program or a circle), audit it and tell the
    person who asked."""
    request.status = wanted
    request.decided_at = timezone.now()
    request.decided_by = by
    request.save(update_fields=["status", "role", "decided_at", "decided_by"])
    audit_record(actor=by, verb=verb, target=request, program=request.program)
    notifications_send_soon(
        [
            Planned(
                recipient_id=request.person.user_id,
                kind=Kind.JOIN_ANSWER,
                subject=f"join:{request.pk}",
                cycle=wanted,
                program_id=request.program_id,
            )
        ]
    )


# --- circles ------------------------------------------------------------------------------------


def circle_deciders(circle: Relationship) -> list[int]:
    """User ids of who may answer a request to join this circle: the program's directors and
    the circle's facilitator (a peer group has none)."""
    directors = Membership.objects.filter(
        program_id=circle.program_id, role=Role.DIRECTOR, person__user__is_active=True
    ).values_list("person__user_id", flat=True)
    facilitators = RelationshipMember.objects.filter(
        relationship=circle, side=MemberSide.FACILITATOR, left_at__isnull=True
    ).values_list("person__user_id", flat=True)
    return list(dict.fromkeys([*facilitators, *directors]))


def _refuse_unless_joinable(circle: Relationship, person: FacultyProfile) -> None:
    if circle.kind not in GROUP_KINDS or circle.stage not in OPEN_STAGES:
        raise ValidationError("This circle is not open to new members.")
    members = RelationshipMember.objects.filter(relationship=circle, left_at__isnull=True)
    if members.filter(person=person).exists():
        raise ValidationError("You are already in this circle.")
    if members.filter(side__in=RECEIVING_SIDES).count() >= GROUP_SIZE[1]:
        raise ValidationError(f"This circle is full: a circle has at most {GROUP_SIZE[1]}.")


@transaction.atomic
def circle_join_request_create(
    *, circle: Relationship, person: FacultyProfile, message: str = "", by: User
) -> JoinRequest:
    """Ask to join a circle of one's program. Asking again while a request waits returns that
    request (nobody is emailed twice)."""
    if person.user_id != getattr(by, "pk", None):
        raise ValidationError("People ask to join circles for themselves.")
    program = circle.program
    if not Membership.objects.filter(
        program=program, person=person, role__in=MENTEE_ROLES
    ).exists():
        raise ValidationError(f"Only participants of {program.name} can join its circles.")
    _refuse_unless_joinable(circle, person)
    request, created = _pending_request(program, person, circle, message)
    if created:
        _record_asked(request, program, circle_deciders(circle), by=by, verb="circle_join.create")
    return request


@transaction.atomic
def circle_join_request_decide(
    *, join_request: JoinRequest, approve: bool, by: User
) -> JoinRequest:
    """A director or the circle's facilitator approves (the person joins the circle, through
    the pairing gate) or declines. Answering again the same way is a no-op."""
    request = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("program", "person__user", "circle__program")
        .get(pk=join_request.pk)
    )
    circle = request.circle
    if circle is None:
        raise ValidationError("This is a request to join the program, not a circle.")
    if not can_decide_circle_request(by, circle):
        raise ValidationError(
            "Only the program's directors or the circle's facilitator can answer."
        )
    wanted = JoinRequestStatus.APPROVED if approve else JoinRequestStatus.DECLINED
    if request.status == wanted:
        return request
    if request.status != JoinRequestStatus.PENDING:
        raise ValidationError(f"This request was already {request.get_status_display().lower()}.")
    if approve:
        _refuse_unless_joinable(circle, request.person)
        try:
            relationship_create(
                program=circle.program,
                kind=circle.kind,
                mentees=[request.person],
                source=RelationshipSource.REQUEST,
                circle=circle,
                notify=False,
                by=by,
            )
        except PairingRefused as e:
            raise ValidationError(_refusal_words(e, request, by)) from None
    _record_answer(request, wanted, by=by, verb=f"circle_join.{wanted}")
    return request


def _refusal_words(e: PairingRefused, request: JoinRequest, by: User) -> str:
    """Directors read the gate's reasons; a facilitator is told only that it is not possible
    (a reason may be confidential: a conflict, a reporting line)."""
    if can_direct(by, request.program_id):
        return " ".join(r.message for r in e.reasons)
    return (
        f"{request.person.display_name} cannot join this circle; the program's directors can "
        "explain."
    )
