"""The kinds of notification the app sends, and what is allowed for each.

Each kind has templates under `templates/emails/<kind>/` and a context builder registered by the
domain code (see `register`), which also decides, at sending time, whether the notification still
applies (a meeting that was cancelled, a relationship that ended) — returning None drops it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from mentorship.notifications.models import Notification


class Kind(models.TextChoices):
    RELATIONSHIP_STARTED = "relationship_started", "A new mentoring relationship"
    RELATIONSHIP_ENDED = "relationship_ended", "A relationship was ended"
    GROUP_DEPARTURE = "group_departure", "Someone moved on from your group"
    MENTOR_REASSIGNED = "mentor_reassigned", "Your mentee was given another mentor"
    MEETING_INVITATION = "meeting_invitation", "Meetings scheduled, moved or cancelled"
    MEETING_UPCOMING = "meeting_upcoming", "Upcoming meeting reminders"
    AGENDA_PREPARE = "agenda_prepare", "Reminders to prepare an agenda"
    MEETING_LOG = "meeting_log", "Nudges to log a meeting or confirm its recap"
    CHECKIN_OVERDUE = "checkin_overdue", "Overdue check-in nudges"
    ACTION_ITEM_OVERDUE = "action_item_overdue", "Overdue action items"
    PILOT_ENDING = "pilot_ending", "Pilot period ending"
    REVIEW_REQUEST = "review_request", "Relationship review requests"
    REVIEW_CHASE = "review_chase", "Reminders about unanswered reviews"
    MENTOR_REQUEST = "mentor_request", "Mentor requests and answers"
    MATCH_PUBLISHED = "match_published", "New matches"
    QUIET_RELATIONSHIP = "quiet_relationship", "Quiet relationships (directors)"
    AT_RISK = "at_risk", "Relationships at risk (directors)"
    CONCERN_ALERT = "concern_alert", "Confidential concerns (directors)"
    BOUNCE_ALERT = "bounce_alert", "Undeliverable email (directors)"
    RELAY_ALERT = "relay_alert", "Mail relay problems (admins)"
    INVITATION = "invitation", "Invitations to join"
    ACCOUNT = "account", "Sign-in and account emails"
    PROGRAM_ADDED = "program_added", "You were added to a program"
    DIRECTOR_APPOINTED = "director_appointed", "You were appointed a program's director"
    PILOT_EXTENDED = "pilot_extended", "A pilot period was extended"
    INVITATION_EXPIRING = "invitation_expiring", "Your invitation is about to expire"
    JOIN_REQUEST = "join_request", "Requests to join a program (directors)"
    JOIN_ANSWER = "join_answer", "Answers to your requests to join a program"
    REPORTING_CONFLICT = (
        "reporting_conflict",
        "A mentor who now holds authority over their mentee (directors)",
    )
    TRAINING_REMINDER = "training_reminder", "Reminders about mentor training"
    SSO_CERTIFICATE = (
        "sso_certificate",
        "An identity provider's signing certificate about to expire (admins)",
    )
    DIGEST = "digest", "Digest of notifications"


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "As it happens"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest (Mondays)"
    OFF = "off", "Off"


@dataclass(frozen=True)
class KindSpec:
    mandatory: bool = False  # cannot be switched off (a director must hear about concerns)
    directors_only: bool = False
    digestible: bool = True
    # Someone is waiting for it right now (a password reset, an invitation): never held for quiet
    # hours or a digest.
    urgent: bool = False


SPECS: dict[str, KindSpec] = {
    Kind.CONCERN_ALERT: KindSpec(mandatory=True, directors_only=True, digestible=False),
    Kind.QUIET_RELATIONSHIP: KindSpec(directors_only=True),
    Kind.AT_RISK: KindSpec(directors_only=True),
    Kind.BOUNCE_ALERT: KindSpec(directors_only=True),
    Kind.JOIN_REQUEST: KindSpec(directors_only=True),
    Kind.REPORTING_CONFLICT: KindSpec(directors_only=True),
    # Someone who has not signed in yet has no settings page to turn to; the last reminder of an
    # expiring invitation is not held for a digest.
    Kind.INVITATION_EXPIRING: KindSpec(digestible=False),
    Kind.RELATIONSHIP_ENDED: KindSpec(digestible=False),
    Kind.MENTOR_REASSIGNED: KindSpec(digestible=False),
    Kind.DIGEST: KindSpec(digestible=False),
    Kind.RELAY_ALERT: KindSpec(mandatory=True, digestible=False, urgent=True),
    # Once the certificate expires nobody of the institution can sign in: not to be missed.
    Kind.SSO_CERTIFICATE: KindSpec(mandatory=True, digestible=False),
    Kind.INVITATION: KindSpec(mandatory=True, digestible=False, urgent=True),
    Kind.ACCOUNT: KindSpec(mandatory=True, digestible=False, urgent=True),
    # A digest cannot carry the calendar invitation, and a day-late invitation misleads.
    Kind.MEETING_INVITATION: KindSpec(digestible=False),
}


def spec(kind: str) -> KindSpec:
    return SPECS.get(kind, KindSpec())


ContextBuilder = Callable[["Notification"], dict[str, Any] | None]
BUILDERS: dict[str, ContextBuilder] = {}
# What the owning app records once an email of a kind has gone (e.g. an invitation's sent date).
AFTER_SENT: dict[str, Callable[[Notification], None]] = {}


def register(kind: str) -> Callable[[ContextBuilder], ContextBuilder]:
    """Register the function that turns a planned notification into its email's context."""

    def decorator(builder: ContextBuilder) -> ContextBuilder:
        BUILDERS[kind] = builder
        return builder

    return decorator


def register_after_sent(
    kind: str,
) -> Callable[[Callable[[Notification], None]], Callable[[Notification], None]]:
    """Register what to record, in the same transaction, once an email of this kind is sent."""

    def decorator(hook: Callable[[Notification], None]) -> Callable[[Notification], None]:
        AFTER_SENT[kind] = hook
        return hook

    return decorator
