"""Reads for the notification centre: what the ledger delivered to a person, or holds for
their digest. Only their own rows, ever; the digest emails themselves are not listed (their
contents are)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification, Status

SHOWN = (Status.SENT, Status.DIGESTED, Status.IN_DIGEST)


def notifications_for(user: Any) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user, status__in=SHOWN)
        .exclude(kind=Kind.DIGEST)
        .select_related("program")
        .order_by("-created_at", "-pk")
    )


def unread_count(user: Any) -> int:
    """The header badge: one COUNT query."""
    return (
        Notification.objects.filter(recipient=user, status__in=SHOWN, read_at__isnull=True)
        .exclude(kind=Kind.DIGEST)
        .count()
    )
