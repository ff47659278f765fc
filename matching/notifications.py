"""Email content for mentor requests, built at sending time from the ledger row."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from matching.models import MentorRequest, RequestKind
from mentorship.emails import absolute_url
from mentorship.notifications.kinds import Kind, register
from mentorship.notifications.models import Notification

SUMMARIES = {
    "received": "{mentee} asks you to mentor them",
    "accepted": "{mentor} accepted your request",
    "declined": "{mentor} answered your request",
    "expired": "Your request to {mentor} has closed",
    "filled": "{mentee}'s request to you has closed",
}


PEER_SUMMARIES = {
    "received": "{mentee} proposes that you pair as peers",
    "accepted": "{mentor} accepted your peer proposal",
    "declined": "{mentor} answered your peer proposal",
    "expired": "Your proposal to {mentor} has closed",
}
OUTSIDE_SUMMARIES = {
    "received": "{mentee} invites you to mentor them",
    "accepted": "{mentor} accepted your invitation",
    "declined": "{mentor} declined your invitation",
    "expired": "Your invitation to {mentor} has closed",
}


def _request_id(n: Notification) -> int | None:
    """The request is the notification's subject ("request:<id>"); the event is its cycle."""
    prefix, _, value = n.subject.partition(":")
    return int(value) if prefix == "request" and value.isdigit() else None


@register(Kind.MENTOR_REQUEST)
def mentor_request_context(n: Notification) -> dict[str, Any] | None:
    request_id = _request_id(n)
    if request_id is None:
        return None
    request = (
        MentorRequest.objects.select_related(
            "program__institution", "mentee__user", "mentor__user", "focus_area", "relationship"
        )
        .filter(pk=request_id)
        .first()
    )
    event = n.cycle
    # Only the two people in the request ever hear about it.
    if request is None or n.recipient_id not in (request.mentee.user_id, request.mentor.user_id):
        return None
    if event == "received" and request.status != "pending":
        return None  # withdrawn or answered before the email went out
    if event == "received":
        url = reverse("matching:request_detail", args=[request.pk])
    elif event == "accepted" and request.relationship is not None:
        url = request.relationship.get_absolute_url()
    elif event == "filled":
        url = reverse("matching:my_requests")
    elif request.is_outside:
        url = reverse("mentee_board")
    elif request.is_peer:
        url = reverse("matching:peers", args=[request.program_id])
    else:
        url = reverse("matching:shortlist", args=[request.program_id])
    names = {"mentee": request.mentee.display_name, "mentor": request.mentor.display_name}
    summaries = {
        RequestKind.PEER: PEER_SUMMARIES,
        RequestKind.OUTSIDE: OUTSIDE_SUMMARIES,
    }.get(RequestKind(request.kind), SUMMARIES)
    return {
        "request": request,
        "event": event,
        "url": absolute_url(url),
        "summary": summaries.get(event, "A mentor request changed").format(**names),
    }
