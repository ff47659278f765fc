"""What each of the programs app's emails says, decided when it is sent.

Every email goes through the send ledger (`mentorship.notifications`). A builder here turns a
planned row into its template context — or returns None when the email no longer applies (the
meeting moved or was cancelled, the relationship ended, someone already did the thing, the
recipient is no longer allowed to know). Access is re-checked here, at sending time:

- the ending notice never carries the reason, and never goes to the person who ended it;
- concern alerts go only to `access.concern_alert_recipients` and name nobody and nothing;
- review emails go only to the respondent; at-risk and quiet alerts only to directors who are
  not in the relationship, and never quote anyone's answers or comments.

Each context has a `summary` and a `url` for the digest list; summaries are as discreet as the
email itself. Times are written in the recipient's own time zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.urls import reverse
from django.utils import dateformat, timezone

from mentorship.accounts.models import User
from mentorship.emails import absolute_url, calendar_part
from mentorship.notifications.kinds import Kind, register, register_after_sent
from mentorship.notifications.models import Notification
from programs.access import (
    can_decide_circle_request,
    can_direct,
    concern_alert_recipients,
    relationships_overseen_by,
)
from programs.domain.reminders import zone
from programs.exports.meeting_calendar import invitation
from programs.models import (
    OPEN_STAGES,
    RECEIVING_SIDES,
    ActionItem,
    ActionItemStatus,
    Concern,
    FacultyProfile,
    Invitation,
    JoinRequest,
    JoinRequestStatus,
    Meeting,
    MeetingStatus,
    Membership,
    MemberSide,
    Recap,
    Relationship,
    RelationshipMember,
    RelationshipOutcome,
    RelationshipRisk,
    RelationshipStage,
    ReviewRequest,
    Role,
)
from programs.selectors.circles import circle_label
from programs.services.invitations import invitation_email_context, invitation_mark_sent


def _id(n: Notification) -> int:
    return int(n.subject.split(":", 1)[1])


def _url(name: str, *args: Any) -> str:
    return absolute_url(reverse(name, args=args))


def _names(members: list[RelationshipMember], *, but_user: int | None = None) -> str:
    names = [m.person.display_name for m in members if m.person.user_id != but_user]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _members(relationship_id: int) -> list[RelationshipMember]:
    return list(
        RelationshipMember.objects.select_related("person__user")
        .filter(relationship=relationship_id, left_at__isnull=True)
        .order_by("side", "person__family_name")
    )


def _me(members: list[RelationshipMember], n: Notification) -> RelationshipMember | None:
    return next((m for m in members if m.person.user_id == n.recipient_id), None)


def local_time(moment: datetime, tz_name: str) -> str:
    """ "Tuesday 24 November 2026, 09:00 EST (America/Toronto)": the recipient's wall clock."""
    local = timezone.localtime(moment, zone(tz_name))
    return f"{dateformat.format(local, 'l j F Y, H:i')} {local.tzname()} ({local.tzinfo})"


def local_date(moment: datetime, tz_name: str) -> str:
    return dateformat.format(timezone.localtime(moment, zone(tz_name)), "l j F Y")


def _recipient(n: Notification) -> User:
    """The person a built notice goes to: only account emails (no builder) have none."""
    assert n.recipient is not None
    return n.recipient


def _is_director_outside(n: Notification, relationship: Relationship) -> bool:
    """Directors hear about a relationship only if they are not part of it themselves."""
    return relationships_overseen_by(_recipient(n)).filter(pk=relationship.pk).exists()


# --- Relationship notices (issue 5) ----------------------------------------------------------


@register(Kind.RELATIONSHIP_STARTED)
def relationship_started(n: Notification) -> dict[str, Any] | None:
    relationship = (
        Relationship.objects.select_related("program", "focus_area").filter(pk=_id(n)).first()
    )
    if relationship is None or not relationship.is_open:
        return None
    members = _members(relationship.pk)
    me = _me(members, n)
    # Someone still holding an unaccepted invitation got the invitation, which explains it.
    if me is None or not _recipient(n).has_usable_password():
        return None
    others = _names(members, but_user=n.recipient_id)
    return {
        "relationship": relationship,
        "person": me.person,
        "side": me.get_side_display().lower(),
        "others": others,
        "url": _url("relationship_detail", relationship.pk),
        "summary": f"A new mentoring relationship with {others}",
    }


@register(Kind.RELATIONSHIP_ENDED)
def relationship_ended(n: Notification) -> dict[str, Any] | None:
    """Neutral and kind; never the reason, never to the person who ended it."""
    relationship = Relationship.objects.filter(pk=_id(n), stage=RelationshipStage.ENDED).first()
    if relationship is None or relationship.ended_by_id == n.recipient_id:
        return None
    members = _members(relationship.pk)
    me = _me(members, n)
    if me is None:
        return None
    from programs.services.relationships import rematch_path

    others = _names(members, but_user=n.recipient_id)
    return {
        "person": me.person,
        "others": others,
        "is_mentee": me.side in RECEIVING_SIDES,
        "url": _url("relationship_detail", relationship.pk),
        "rematch_url": absolute_url(rematch_path(relationship)),
        "summary": f"Your mentoring relationship with {others} has come to a close",
    }


@register(Kind.MENTOR_REASSIGNED)
def mentor_reassigned(n: Notification) -> dict[str, Any] | None:
    """To the outgoing mentor of a reassignment: thanks, in neutral words, never the reason."""
    relationship = Relationship.objects.filter(
        pk=_id(n), stage=RelationshipStage.ENDED, outcome=RelationshipOutcome.REASSIGNED
    ).first()
    if relationship is None:
        return None
    members = _members(relationship.pk)
    me = _me(members, n)
    if me is None or me.side in RECEIVING_SIDES:
        return None
    others = _names(members, but_user=n.recipient_id)
    return {
        "person": me.person,
        "others": others,
        "url": _url("relationship_detail", relationship.pk),
        "summary": f"{others} will continue with another mentor",
    }


@register(Kind.GROUP_DEPARTURE)
def group_departure(n: Notification) -> dict[str, Any] | None:
    leaver_id = int(n.cycle.split(":", 1)[1])
    leaver = (
        RelationshipMember.objects.select_related("person", "relationship")
        .filter(pk=leaver_id, relationship=_id(n), left_at__isnull=False)
        .first()
    )
    if leaver is None or not leaver.relationship.is_open:
        return None
    me = _me(_members(leaver.relationship_id), n)
    if me is None:
        return None
    return {
        "person": me.person,
        "leaver": leaver.person,
        "url": _url("relationship_detail", leaver.relationship_id),
        "summary": f"{leaver.person.display_name} has moved on from your mentoring group",
    }


@register(Kind.CONCERN_ALERT)
def concern_alert(n: Notification) -> dict[str, Any] | None:
    """Who raised it, about whom and what it says stay in the app, where viewing is logged."""
    concern = Concern.objects.select_related("relationship__program").filter(pk=_id(n)).first()
    if concern is None:
        return None
    recipient = next(
        (p for p in concern_alert_recipients(concern) if p.user_id == n.recipient_id), None
    )
    if recipient is None:
        return None
    return {
        "person": recipient,
        "url": _url("concern_detail", concern.pk),
        "summary": "A confidential concern needs your attention",
    }


# --- Meeting reminders -------------------------------------------------------------------------


def _meeting(n: Notification) -> Meeting | None:
    meeting = (
        Meeting.objects.select_related("relationship__program")
        .filter(pk=_id(n), relationship__stage__in=OPEN_STAGES)
        .first()
    )
    return meeting


def _sequence(n: Notification) -> int:
    return int(n.cycle.rsplit(":s", 1)[1])


def _upcoming_context(n: Notification, *, agenda: bool) -> dict[str, Any] | None:
    meeting = _meeting(n)
    if (
        meeting is None
        or meeting.status != MeetingStatus.SCHEDULED
        or meeting.sequence != _sequence(n)
        or meeting.starts_at <= timezone.now()
    ):
        return None  # moved (a new reminder follows), cancelled, held or already begun
    members = _members(meeting.relationship_id)
    me = _me(members, n)
    if me is None:
        return None
    agenda_count = meeting.agenda_items.count()
    if agenda and (agenda_count or me.side not in RECEIVING_SIDES):
        return None  # the agenda is there already
    others = _names(members, but_user=n.recipient_id)
    when = local_time(meeting.starts_at, me.person.time_zone)
    return {
        "person": me.person,
        "meeting": meeting,
        "others": others,
        "when": when,
        "agenda_count": agenda_count,
        "url": _url("meeting_detail", meeting.pk),
        "ics_url": _url("meeting_ics", meeting.pk),
        "summary": (
            f"Prepare an agenda for your meeting with {others} on {when}"
            if agenda
            else f"Meeting with {others} on {when}"
        ),
    }


@register(Kind.MEETING_UPCOMING)
def meeting_upcoming(n: Notification) -> dict[str, Any] | None:
    return _upcoming_context(n, agenda=False)


@register(Kind.AGENDA_PREPARE)
def agenda_prepare(n: Notification) -> dict[str, Any] | None:
    return _upcoming_context(n, agenda=True)


@register(Kind.MEETING_INVITATION)
def meeting_invitation(n: Notification) -> dict[str, Any] | None:
    """A meeting scheduled, moved or cancelled by another member, with the calendar invitation
    (METHOD:REQUEST) or cancellation (METHOD:CANCEL) attached; times in the recipient's zone."""
    meeting = (
        Meeting.objects.select_related("relationship__program", "scheduled_by")
        .filter(pk=_id(n), status__in=[MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED])
        .first()
    )
    if meeting is None or n.cycle != f"s{meeting.sequence}":
        return None  # held already, or overtaken by a later change that is announced itself
    members = _members(meeting.relationship_id)
    me = _me(members, n)
    if me is None:
        return None
    tz = me.person.time_zone
    by = next((m.person for m in members if m.person.user_id == n.data.get("by")), None)
    by_name = by.display_name if by else "Someone in your relationship"
    when = local_time(meeting.starts_at, tz)
    was = datetime.fromisoformat(n.data["was"]) if n.data.get("was") else None
    if meeting.status == MeetingStatus.CANCELLED:
        change, summary = "cancelled", f"{by_name} cancelled your meeting on {when}"
    elif was is not None and was != meeting.starts_at:
        change, summary = "moved", f"{by_name} moved your meeting to {when}"
    elif was is not None:
        change, summary = "changed", f"{by_name} changed the details of your meeting on {when}"
    else:
        change, summary = "scheduled", f"{by_name} scheduled a meeting with you on {when}"
    method, body = invitation(meeting, members)
    return {
        "person": me.person,
        "meeting": meeting,
        "by_name": by_name,
        "others": _names(members, but_user=n.recipient_id),
        "change": change,
        "when": when,
        "ends": dateformat.format(timezone.localtime(meeting.ends_at, zone(tz)), "H:i"),
        "was": local_time(was, tz) if was is not None and change == "moved" else "",
        "url": _url("meeting_detail", meeting.pk),
        "summary": summary,
        "attachments": [
            calendar_part(body, method=method, filename=f"mentoring-meeting-{meeting.pk}.ics")
        ],
    }


@register(Kind.MEETING_LOG)
def meeting_log(n: Notification) -> dict[str, Any] | None:
    meeting = _meeting(n)
    if meeting is None or meeting.status not in (MeetingStatus.SCHEDULED, MeetingStatus.HELD):
        return None
    members = _members(meeting.relationship_id)
    me = _me(members, n)
    if me is None:
        return None
    recap = Recap.objects.filter(meeting=meeting).first()
    confirm = n.cycle == "confirm"
    if confirm and (recap is None or recap.confirmed_at or recap.written_by_id == me.person_id):
        return None
    if not confirm and recap is not None:
        return None  # someone logged it and wrote the recap meanwhile
    others = _names(members, but_user=n.recipient_id)
    when = local_date(meeting.starts_at, me.person.time_zone)
    return {
        "person": me.person,
        "meeting": meeting,
        "others": others,
        "when": when,
        "confirm": confirm,
        "not_marked_held": meeting.status == MeetingStatus.SCHEDULED,
        "url": _url("meeting_detail", meeting.pk),
        "summary": (
            f"Confirm the recap of your meeting with {others} on {when}"
            if confirm
            else f"Log your meeting with {others} on {when}"
        ),
    }


# --- Check-ins, action items, pilot ------------------------------------------------------------


@register(Kind.CHECKIN_OVERDUE)
def checkin_overdue(n: Notification) -> dict[str, Any] | None:
    from programs.selectors.relationships import last_met_on

    relationship = Relationship.objects.select_related("program").filter(pk=_id(n)).first()
    if relationship is None or not relationship.is_open:
        return None
    _, anchor, cycle = n.cycle.split(":")
    met = last_met_on(relationship)
    if (met or relationship.started_on).isoformat() != anchor:
        return None  # they have met since
    if relationship.meetings.filter(
        status=MeetingStatus.SCHEDULED, starts_at__gt=timezone.now()
    ).exists():
        return None  # and a meeting is booked
    members = _members(relationship.pk)
    me = _me(members, n)
    if me is None:
        return None
    others = _names(members, but_user=n.recipient_id)
    return {
        "person": me.person,
        "relationship": relationship,
        "others": others,
        "last_met": met,
        "second": cycle == "2",
        "url": _url("meeting_new", relationship.pk),
        "checkin_url": _url("checkin_new", relationship.pk),
        "relationship_url": _url("relationship_detail", relationship.pk),
        "summary": f"Time to check in with {others}",
    }


@register(Kind.ACTION_ITEM_OVERDUE)
def action_item_overdue(n: Notification) -> dict[str, Any] | None:
    item = (
        ActionItem.objects.select_related("relationship__program", "owner")
        .filter(pk=_id(n), status=ActionItemStatus.OPEN, owner__user=n.recipient_id)
        .first()
    )
    if item is None or not item.relationship.is_open or item.due_on is None:
        return None
    if n.cycle != f"due:{item.due_on.isoformat()}":
        return None
    if not RelationshipMember.objects.filter(
        relationship=item.relationship_id, person=item.owner_id, left_at__isnull=True
    ).exists():
        return None
    return {
        "person": item.owner,
        "item": item,
        "due": dateformat.format(item.due_on, "l j F"),
        "url": _url("relationship_detail", item.relationship_id) + "#actions-h",
        "summary": f"“{item.title}” was due on {dateformat.format(item.due_on, 'j F')}",
    }


@register(Kind.PILOT_ENDING)
def pilot_ending(n: Notification) -> dict[str, Any] | None:
    relationship = Relationship.objects.select_related("program").filter(pk=_id(n)).first()
    if (
        relationship is None
        or relationship.stage != RelationshipStage.PILOT
        or relationship.pilot_ends_on is None
        or n.cycle != f"pilot:{relationship.pilot_ends_on.isoformat()}"
    ):
        return None
    members = _members(relationship.pk)
    me = _me(members, n)
    if me is None:
        return None
    from programs.services.reviews import review_url

    review = ReviewRequest.objects.filter(
        relationship=relationship, respondent=me.person, cycle=0, completed_at__isnull=True
    ).first()
    others = _names(members, but_user=n.recipient_id)
    return {
        "person": me.person,
        "relationship": relationship,
        "others": others,
        "ends_on": dateformat.format(relationship.pilot_ends_on, "l j F Y"),
        "confirmed": me.pilot_confirmed_at is not None,
        "review_url": review_url(review) if review else "",
        "url": _url("relationship_detail", relationship.pk),
        "summary": f"The pilot period with {others} ends on "
        f"{dateformat.format(relationship.pilot_ends_on, 'j F')}",
    }


# --- Directors ---------------------------------------------------------------------------------


@register(Kind.QUIET_RELATIONSHIP)
def quiet_relationships(n: Notification) -> dict[str, Any] | None:
    """The pairs of one program the sweep flagged quiet on one day — still quiet, and not
    ones the director is part of."""
    from programs.selectors.figures import quiet_relationships as quiet_relationships_of
    from programs.selectors.relationships import with_members

    program_id = _id(n)
    if not can_direct(_recipient(n), program_id):
        return None
    day = date.fromisoformat(n.cycle.split(":", 1)[1])
    # The sweep's flag says which pairs this email is about; whether they are still quiet is
    # the one definition every page uses (a meeting since, or a new cadence, takes them off).
    # Only pairs the recipient oversees: never one they are, or were, a member of.
    quiet = list(
        with_members(
            quiet_relationships_of(program=program_id)
            .filter(quiet_since=day, pk__in=relationships_overseen_by(_recipient(n)).values("pk"))
            .order_by("started_on", "pk")
        )
    )
    if not quiet:
        return None
    pairs = [
        {"names": _names(r.active_members), "url": _url("relationship_detail", r.pk)}
        for r in quiet[:25]
    ]
    count = len(quiet)
    return {
        "pairs": pairs,
        "count": count,
        "more": count - len(pairs),
        "list_url": _url("program_relationships", program_id) + "?quiet=1",
        "url": _url("program_relationships", program_id) + "?quiet=1",
        "summary": f"{count} relationship{'s' if count != 1 else ''} went quiet",
    }


@register(Kind.AT_RISK)
def at_risk(n: Notification) -> dict[str, Any] | None:
    response_id = int(n.cycle.split(":", 1)[1])
    risks = list(
        RelationshipRisk.objects.select_related("relationship__program").filter(
            relationship=_id(n), review=response_id, cleared_at__isnull=True
        )
    )
    if not risks or not risks[0].relationship.is_open:
        return None
    relationship = risks[0].relationship
    if not _is_director_outside(n, relationship):
        return None
    names = _names(_members(relationship.pk))
    return {
        "names": names,
        "reasons": [r.get_reason_display() for r in risks],
        "url": _url("review_results", relationship.pk),
        "summary": f"{names}: flagged at risk by a relationship review",
    }


# --- Reviews -----------------------------------------------------------------------------------


def _review_context(n: Notification, *, chase: bool) -> dict[str, Any] | None:
    request = (
        ReviewRequest.objects.select_related("relationship__program", "respondent")
        .filter(pk=_id(n), respondent__user=n.recipient_id, completed_at__isnull=True)
        .first()
    )
    if (
        request is None
        or not request.relationship.is_open
        or request.closes_on < timezone.localdate()
    ):
        return None
    members = _members(request.relationship_id)
    me = _me(members, n)
    if me is None:
        return None
    from programs.services.reviews import review_url

    others = _names(members, but_user=n.recipient_id)
    closes = dateformat.format(request.closes_on, "l j F")
    return {
        "person": me.person,
        "request": request,
        "others": others,
        "pilot": request.cycle == 0,
        "chase": chase,
        "closes_on": closes,
        "url": review_url(request),
        "summary": f"Your review of the relationship with {others} (open until {closes})",
        "mentor_side": me.side in (MemberSide.MENTOR, MemberSide.FACILITATOR),
    }


@register(Kind.REVIEW_REQUEST)
def review_request(n: Notification) -> dict[str, Any] | None:
    return _review_context(n, chase=False)


@register(Kind.REVIEW_CHASE)
def review_chase(n: Notification) -> dict[str, Any] | None:
    return _review_context(n, chase=True)


# Invitations: the context and the "sent" date live with the invitation service.
register(Kind.INVITATION)(invitation_email_context)
register_after_sent(Kind.INVITATION)(invitation_mark_sent)
# --- Programs: added, appointed director, joining (issue 14) ------------------------------------


def _membership(n: Notification) -> Membership | None:
    """The recipient's membership named by the cycle ('member:<id>' / 'director:<id>'), if it
    still stands. Someone holding an unaccepted invitation got the invitation, which explains it."""
    recipient = _recipient(n)
    if not recipient.has_usable_password() or not recipient.is_active:
        return None
    return (
        Membership.objects.select_related("program", "person")
        .filter(pk=int(n.cycle.split(":", 1)[1]), person__user=n.recipient_id)
        .first()
    )


def _directors_named(program_id: int, *, but_user: int) -> str:
    names = [
        p.display_name
        for p in FacultyProfile.objects.filter(
            memberships__program=program_id, memberships__role=Role.DIRECTOR
        )
        .exclude(user=but_user)
        .order_by("family_name", "given_name")
    ]
    return " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]


@register(Kind.PROGRAM_ADDED)
def program_added(n: Notification) -> dict[str, Any] | None:
    membership = _membership(n)
    if membership is None or membership.is_director:
        return None
    return {
        "person": membership.person,
        "role": membership.get_role_display().lower(),
        "is_mentee": membership.is_mentee,
        "is_mentor": membership.is_mentor,
        "directors": _directors_named(membership.program_id, but_user=_recipient(n).pk),
        "url": _url("programs:detail", membership.program_id),
        "assessment_url": _url("assessments:hub"),
        "offer_url": _url("assessments:mentor_offer"),
        "summary": f"You were added to {membership.program.name}",
    }


@register(Kind.DIRECTOR_APPOINTED)
def director_appointed(n: Notification) -> dict[str, Any] | None:
    membership = _membership(n)
    if membership is None or not membership.is_director:
        return None
    return {
        "person": membership.person,
        "directors": _directors_named(membership.program_id, but_user=_recipient(n).pk),
        "url": _url("program_dashboard", membership.program_id),
        "members_url": _url("programs:members", membership.program_id),
        "summary": f"You are now a director of {membership.program.name}",
    }


@register(Kind.PILOT_EXTENDED)
def pilot_extended(n: Notification) -> dict[str, Any] | None:
    relationship = Relationship.objects.select_related("program").filter(pk=_id(n)).first()
    if (
        relationship is None
        or relationship.stage != RelationshipStage.PILOT
        or relationship.pilot_ends_on is None
        or n.cycle != f"extended:{relationship.pilot_ends_on.isoformat()}"
    ):
        return None  # ended, confirmed, or extended again (that extension sends its own)
    members = _members(relationship.pk)
    me = _me(members, n)
    if me is None:
        return None
    others = _names(members, but_user=n.recipient_id)
    ends_on = dateformat.format(relationship.pilot_ends_on, "l j F Y")
    return {
        "person": me.person,
        "relationship": relationship,
        "others": others,
        "ends_on": ends_on,
        "confirmed": me.pilot_confirmed_at is not None,
        "url": _url("relationship_detail", relationship.pk),
        "summary": f"The pilot period with {others} now ends on {ends_on}",
    }


@register(Kind.INVITATION_EXPIRING)
def invitation_expiring(n: Notification) -> dict[str, Any] | None:
    from programs.services.invitations import invitation_url

    invitation = (
        Invitation.objects.select_related("person", "program", "invited_by__profile")
        .filter(pk=_id(n), person__user=n.recipient_id)
        .first()
    )
    if (
        invitation is None
        or not invitation.is_open
        or invitation.sent_at is None
        or n.cycle != f"expires:{invitation.expires_at.date().isoformat()}"
    ):
        return None  # accepted, revoked, or resent with a new date (and its own reminder)
    inviter = getattr(invitation.invited_by, "profile", None)
    expires = local_time(invitation.expires_at, invitation.person.time_zone)
    return {
        "person": invitation.person,
        "invitation": invitation,
        "inviter_name": inviter.display_name if inviter else "The mentorship program team",
        "expires": expires,
        "url": invitation_url(invitation),
        "summary": f"Your invitation expires on {expires}",
    }


@register(Kind.JOIN_REQUEST)
def join_request(n: Notification) -> dict[str, Any] | None:
    """To the program's directors while the request waits (another may have answered)."""
    request = (
        JoinRequest.objects.select_related("person__department", "person__rank", "circle")
        .filter(pk=_id(n), status=JoinRequestStatus.PENDING)
        .first()
    )
    if request is not None and request.circle is not None:
        return _circle_join_request(n, request, request.circle)
    if request is None or not can_direct(_recipient(n), request.program_id):
        return None
    name = request.person.display_name
    return {
        "requester": request.person,
        "message": request.message,
        "url": _url("programs:members", request.program_id) + "#join-requests-h",
        "summary": f"{name} asks to join {n.program.name if n.program else 'your program'}",
    }


def _circle_join_request(
    n: Notification, request: JoinRequest, circle: Relationship
) -> dict[str, Any] | None:
    """To the circle's facilitator and the program's directors, while the request waits."""
    if not can_decide_circle_request(_recipient(n), circle):
        return None
    label = circle_label(circle)
    return {
        "requester": request.person,
        "message": request.message,
        "circle": label,
        "url": _url("circle_join_requests", circle.pk),
        "summary": f"{request.person.display_name} asks to join {label}",
    }


@register(Kind.JOIN_ANSWER)
def join_answer(n: Notification) -> dict[str, Any] | None:
    request = (
        JoinRequest.objects.select_related("person", "program", "circle")
        .filter(pk=_id(n), person__user=n.recipient_id, status=n.cycle)
        .first()
    )
    if request is None:
        return None
    if request.circle is not None:
        approved = request.status == JoinRequestStatus.APPROVED
        label = circle_label(request.circle)
        return {
            "person": request.person,
            "approved": approved,
            "circle": label,
            "url": (
                _url("relationship_detail", request.circle_id)
                if approved
                else _url("matching:peers", request.program_id)
            ),
            "summary": (
                f"You have joined {label}" if approved else f"Your request to join {label}"
            ),
        }
    approved = request.status == JoinRequestStatus.APPROVED
    return {
        "person": request.person,
        "approved": approved,
        "role": request.get_role_display().lower() if approved else "",
        "url": _url("programs:detail", request.program_id) if approved else _url("home"),
        "assessment_url": _url("assessments:hub"),
        "summary": (
            f"You have joined {request.program.name}"
            if approved
            else f"Your request to join {request.program.name} was not accepted"
        ),
    }


@register(Kind.REPORTING_CONFLICT)
def reporting_conflict(n: Notification) -> dict[str, Any] | None:
    """To the program's directors while the conflict stands (the directory may have changed
    back, or the relationship ended, before it is sent)."""
    from programs.selectors.directory import reporting_line_conflicts

    relationship_id = _id(n)
    if n.program_id is None or not can_direct(_recipient(n), n.program_id):
        return None
    data = n.data or {}
    current = [
        c
        for c in reporting_line_conflicts(
            relationships=Relationship.objects.filter(pk=relationship_id)
        )
        if (c.mentee.pk, c.mentor.pk, c.how)
        == (data.get("mentee"), data.get("mentor"), data.get("how"))
    ]
    if not current:
        return None
    conflict = current[0]
    return {
        "mentee": conflict.mentee,
        "mentor": conflict.mentor,
        "how": conflict.how,
        "url": _url("programs:members", n.program_id) + "#conflicts-h",
        "summary": f"{conflict.mentor.display_name} is now {conflict.mentee.display_name}'s "
        f"{conflict.how}",
    }


@register(Kind.TRAINING_REMINDER)
def training_reminder(n: Notification) -> dict[str, Any] | None:
    """Still a mentor of the program, and still short of its training: else dropped."""
    from programs.models import MENTOR_ROLES, Membership, TrainingSession
    from programs.selectors.figures import meets_training_rule, training_hours

    membership = (
        Membership.objects.select_related("person", "program")
        .filter(program=_id(n), person__user=n.recipient_id, role__in=MENTOR_ROLES)
        .first()
    )
    if membership is None:
        return None
    program = membership.program
    hours = training_hours(program=program, person_ids=[membership.person_id]).get(
        membership.person_id
    )
    required = program.mentor_training_hours_required
    if (required and meets_training_rule(program, hours)) or (not required and hours):
        return None
    upcoming = TrainingSession.objects.filter(
        program=program, held_on__gte=timezone.localdate()
    ).order_by("held_on")[:5]
    return {
        "person": membership.person,
        "required": required,
        "hours": f"{float(hours or 0):g}",
        "upcoming": list(upcoming),
        "url": _url("my_training"),
        "summary": f"Mentor training in {program.name}",
    }


@register(Kind.SSO_CERTIFICATE)
def sso_certificate(n: Notification) -> dict[str, Any] | None:
    """To the admins, while the IdP still signs with that certificate (new metadata read since,
    or single sign-on switched off, drops it)."""
    from programs.models import IdentityProvider

    idp = IdentityProvider.objects.select_related("institution").filter(pk=_id(n)).first()
    if idp is None or not idp.is_enabled or not _recipient(n).is_institution_admin:
        return None
    not_after = idp.idp_cert_not_after
    if not_after is None or not_after.isoformat() != (n.data or {}).get("not_after"):
        return None
    now = timezone.now()
    expired = not_after <= now
    return {
        "idp": idp,
        "institution": idp.institution,
        "not_after": not_after,
        "expired": expired,
        "days_left": max(0, (not_after - now).days),
        "reads_address": bool(idp.saml_metadata_url),
        "metadata_error": idp.metadata_error,
        "url": _url("institution:sign_in_edit", idp.institution_id),
        "summary": (
            f"{idp.display_name} sign-in: the signing certificate "
            + (f"expired on {not_after:%-d %B %Y}" if expired else f"expires {not_after:%-d %B %Y}")
        ),
    }
