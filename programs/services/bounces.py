"""Undeliverable email addresses, as directors see and clear them.

A permanent refusal (5xx) is recorded by the send ledger as a `Bounce`, and the address is not
emailed again while the bounce stands. Once the person's address is corrected (or the mailbox
fixed), a director clears it and sending resumes."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.notifications.models import Bounce
from programs.models import FacultyProfile, Program
from programs.services.audit import audit_record


def bounces_for_program(*, program: Program) -> QuerySet[Bounce]:
    """Standing bounces of the program's members, newest first, with who they are."""
    members = FacultyProfile.objects.filter(memberships__program=program).values("user_id")
    return (
        Bounce.objects.filter(cleared_at__isnull=True, user__in=members)
        .select_related("user__profile")
        .order_by("-at")
    )


@transaction.atomic
def bounce_clear(*, bounce: Bounce, program: Program, by: User) -> Bounce:
    """Try the address again. Every standing bounce of that address is cleared."""
    now = timezone.now()
    Bounce.objects.filter(email__iexact=bounce.email, cleared_at__isnull=True).update(
        cleared_at=now
    )
    bounce.cleared_at = now
    audit_record(
        actor=by,
        verb="bounce.clear",
        target=bounce.user.profile if bounce.user else program,
        program=program,
    )
    return bounce
