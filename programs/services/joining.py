"""Asking to join a program (issue 14): a faculty member in a program's institution asks, one of
its directors approves — choosing the role — or declines; both sides are told by email."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.access import can_direct, programs_open_to_join
from programs.models import (
    FacultyProfile,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    Program,
    Role,
)
from programs.services.audit import audit_record
from programs.services.programs import membership_add

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
    message = (message or "").replace("\r\n", "\n").strip()
    try:
        with transaction.atomic():
            request, created = JoinRequest.objects.get_or_create(
                program=program,
                person=person,
                status=JoinRequestStatus.PENDING,
                defaults={"message": message},
            )
    except IntegrityError:  # a double click raced the first one
        request = JoinRequest.objects.get(
            program=program, person=person, status=JoinRequestStatus.PENDING
        )
        created = False
    if created:
        audit_record(actor=by, verb="join_request.create", target=request, program=program)
        directors = Membership.objects.filter(
            program=program, role=Role.DIRECTOR, person__user__is_active=True
        ).values_list("person__user_id", flat=True)
        notifications_send_soon(
            Planned(
                recipient_id=user_id,
                kind=Kind.JOIN_REQUEST,
                subject=f"join:{request.pk}",
                cycle="asked",
                program_id=program.pk,
            )
            for user_id in directors
        )
    return request


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
    request.status = wanted
    request.decided_at = timezone.now()
    request.decided_by = by
    request.save(update_fields=["status", "role", "decided_at", "decided_by"])
    audit_record(actor=by, verb=f"join_request.{wanted}", target=request, program=request.program)
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
    return request
