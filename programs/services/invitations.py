"""Inviting faculty: a person is registered (so directors can place them and reporting lines can
point at them) and emailed a link to set a password. Following that link proves they own the
address, so the email counts as verified."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from matching.models import MentorRequest, RequestKind, RequestStatus
from mentorship.accounts.models import User
from mentorship.emails import absolute_url
from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.domain.validators import check_time_zone
from programs.models import FacultyProfile, Institution, Invitation, Membership, Program, Role
from programs.services.audit import audit_record
from programs.services.people import faculty_create
from programs.services.programs import membership_add

INVITATION_DAYS = 21
TOKEN_SALT = "programs.invitation"  # noqa: S105 - a namespace, not a secret


class InvitationError(Exception):
    """Why an invitation link cannot be used, in words for the person holding it."""


@dataclass(frozen=True)
class InviteResult:
    person: FacultyProfile
    invitation: Invitation | None
    membership: Membership | None
    created: bool


def institution_for_domain(email: str) -> Institution | None:
    """The institution whose email domains include this address's, if any."""
    domain = email.rsplit("@", 1)[-1].lower()
    for institution in Institution.objects.exclude(email_domains=[]):
        if domain in {d.lower() for d in institution.email_domains}:
            return institution
    return None


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=TOKEN_SALT)


def invitation_url(invitation: Invitation) -> str:
    return absolute_url(reverse("invitation_accept", args=[invitation_token(invitation)]))


def invitation_from_token(token: str) -> Invitation:
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        raise InvitationError(
            "This invitation link is not valid. Check that it was copied whole."
        ) from None
    invitation = (
        Invitation.objects.select_related("person__user", "program")
        .filter(pk=data.get("i"))
        .first()
    )
    if invitation is None or invitation.nonce != data.get("n"):
        raise InvitationError(
            "This invitation link has been replaced by a newer one. Use the latest email."
        )
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been used. Sign in instead.")
    if invitation.revoked_at is not None:
        raise InvitationError("This invitation was withdrawn. Ask the program team for a new one.")
    if invitation.expires_at <= timezone.now():
        raise InvitationError("This invitation has expired. Ask the program team to resend it.")
    return invitation


@transaction.atomic
def faculty_invite(
    *,
    email: str,
    given_name: str = "",
    family_name: str = "",
    institution: Institution | None = None,
    program: Program | None = None,
    role: str | None = None,
    message: str = "",
    by: User,
    **profile_fields: Any,
) -> InviteResult:
    """Invite a person. Someone who already has an account is simply added to the program."""
    email = User.objects.normalize_email(email).lower()
    existing = (
        FacultyProfile.objects.select_related("user").filter(user__email__iexact=email).first()
    )
    membership = None
    if existing is not None:
        if program is not None and role:
            membership = membership_add(program=program, person=existing, role=role, by=by)
        audit_record(actor=by, verb="faculty.invite_existing", target=existing, program=program)
        return InviteResult(existing, None, membership, created=False)
    person = faculty_create(
        email=email,
        given_name=given_name,
        family_name=family_name,
        institution=institution,
        **profile_fields,
    )
    if program is not None and role:
        membership = membership_add(program=program, person=person, role=role, by=by)
    invitation = Invitation.objects.create(
        person=person,
        email=email,
        program=program,
        invited_by=by if getattr(by, "is_authenticated", False) else None,
        message=message,
        nonce=secrets.token_hex(8),
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    audit_record(actor=by, verb="faculty.invite", target=person, program=program)
    _queue_invitation(invitation)
    return InviteResult(person, invitation, membership, created=True)


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    if invitation.accepted_at is not None:
        raise InvitationError(f"{invitation.email} has already accepted their invitation.")
    invitation.nonce = secrets.token_hex(8)
    invitation.revoked_at = None
    invitation.sent_at = None
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["nonce", "revoked_at", "sent_at", "expires_at"])
    audit_record(actor=by, verb="invitation.resend", target=invitation, program=invitation.program)
    _queue_invitation(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    if invitation.accepted_at is not None:
        raise InvitationError(f"{invitation.email} has already accepted their invitation.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(actor=by, verb="invitation.revoke", target=invitation, program=invitation.program)
    return invitation


def _queue_invitation(invitation: Invitation) -> None:
    """Plan the invitation email in the send ledger (with this transaction) and send it after
    commit: it is retried through relay outages, and a hard bounce is recorded against the
    address and shown on the invitations list. A new link (a resend) is a new email."""
    notifications_send_soon(
        [
            Planned(
                recipient_id=invitation.person.user_id,
                kind=Kind.INVITATION,
                subject=f"invitation:{invitation.pk}",
                cycle=invitation.nonce,
                program_id=invitation.program_id,
            )
        ]
    )


def invitation_email_context(n: Notification) -> dict[str, Any] | None:
    """The invitation email's context at sending time; None if its link was replaced, or it
    was accepted, withdrawn or expired meanwhile."""
    invitation = (
        Invitation.objects.select_related("person", "program", "invited_by__profile")
        .filter(pk=int(n.subject.split(":", 1)[1]), nonce=n.cycle)
        .first()
    )
    if invitation is None or not invitation.is_open:
        return None
    inviter = getattr(invitation.invited_by, "profile", None)
    asked = outside_request_for(invitation)
    return {
        "invitation": invitation,
        "person": invitation.person,
        "inviter_name": inviter.display_name if inviter else "The mentorship program team",
        "accept_url": invitation_url(invitation),
        "outside_request": asked,
        "summary": (
            f"{asked.mentee.display_name} invites you to mentor them"
            if asked
            else "An invitation to join"
        ),
    }


def outside_request_for(invitation: Invitation) -> MentorRequest | None:
    """The mentee's waiting request behind an outside mentor's account invitation: the email
    and the welcome page say who asks, for which need and in which program."""
    if invitation.program_id is None:
        return None
    return (
        MentorRequest.objects.filter(
            mentor=invitation.person,
            program_id=invitation.program_id,
            kind=RequestKind.OUTSIDE,
            status=RequestStatus.PENDING,
        )
        .select_related("mentee", "focus_area", "program__institution")
        .order_by("-created_at")
        .first()
    )


def invitation_mark_sent(n: Notification) -> None:
    Invitation.objects.filter(pk=int(n.subject.split(":", 1)[1]), nonce=n.cycle).update(
        sent_at=n.sent_at, send_count=F("send_count") + 1
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str, time_zone: str = "") -> User:
    """Set the password (and, at this first sign-in, the person's time zone)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise InvitationError("This invitation can no longer be used. Sign in instead.")
    if time_zone:
        check_time_zone(time_zone)
        FacultyProfile.objects.filter(pk=invitation.person_id).update(time_zone=time_zone)
    user = invitation.person.user
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(primary=False)
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        actor=user, verb="invitation.accept", target=invitation, program=invitation.program
    )
    return user


ROLE_LABELS = dict(Role.choices)
