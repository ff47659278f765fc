"""Meetings and what surrounds them: scheduling, the mentee's agenda, the checklist, shared and
private notes, action items, the "reiterate and review" recap, and asynchronous check-ins.

Times arrive aware and are stored in UTC; the scheduler's zone is kept so the invitation can say
"10:00 Toronto time" whatever zone the reader is in."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.access import versions_readable_by
from programs.models import (
    ActionItem,
    ActionItemStatus,
    AgendaItem,
    CalendarFeed,
    ChecklistArea,
    CommunicationMode,
    FacultyProfile,
    Goal,
    Meeting,
    MeetingStatus,
    MemberSide,
    PrivateNote,
    Recap,
    Relationship,
    RelationshipMember,
)
from programs.services.audit import audit_record
from programs.services.guards import lock_relationship, require_open
from programs.services.guards import require_member as _require_member
from programs.validators import validate_meeting_date, validate_time_zone

MIN_MINUTES, MAX_MINUTES = 10, 8 * 60


class NotesConflict(Exception):
    """The shared notes changed since the person opened them. Carries the saved text so the
    page can show both versions side by side: nothing typed is lost."""

    def __init__(self, *, current_text: str, current_revision: int, updated_by: str) -> None:
        super().__init__("The shared notes were changed by someone else.")
        self.current_text = current_text
        self.current_revision = current_revision
        self.updated_by = updated_by


def _text(value: str) -> str:
    """Browsers send CRLF from text areas; store plain newlines."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _lock(meeting: Meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("relationship__program")
        .get(pk=meeting.pk)
    )


def _mentee_goal(relationship: Relationship, goal: Goal | None, by: User) -> None:
    """A goal of one of the relationship's mentees, from a version `by` may read (their own,
    or one shared with them): linking it must not reveal an unshared goal."""
    if goal is None:
        return
    mentees = RelationshipMember.objects.filter(
        relationship=relationship, side__in=[MemberSide.MENTEE, MemberSide.PEER]
    ).values("person")
    if not Goal.objects.filter(
        pk=goal.pk, assessment__person__in=mentees, assessment__in=versions_readable_by(by)
    ).exists():
        raise ValidationError({"goal": "Choose one of the mentee's own goals."})


def _check_slot(
    *, relationship: Relationship, starts_at: datetime, duration_minutes: int, already_held: bool
) -> None:
    if timezone.is_naive(starts_at):
        raise ValueError("starts_at must be an aware datetime")
    try:
        # The date as typed, before any conversion (which overflows near year 1 or 9999).
        validate_meeting_date(starts_at.date())
    except ValidationError as e:
        raise ValidationError({"starts_at": e.messages}) from None
    now = timezone.now()
    if not already_held and starts_at <= now:
        raise ValidationError(
            {
                "starts_at": "That time has already passed. To record a meeting that already "
                "happened, choose “It already happened”."
            }
        )
    if already_held and starts_at > now:
        raise ValidationError(
            {"starts_at": "That time is still to come, so the meeting cannot have been held yet."}
        )
    if starts_at.date() < relationship.started_on and already_held:
        raise ValidationError(
            {
                "starts_at": "That is before the relationship started "
                f"({relationship.started_on.day} {relationship.started_on:%B %Y})."
            }
        )
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        raise ValidationError(
            {
                "ends_at": f"A meeting lasts between {MIN_MINUTES} minutes and {MAX_MINUTES // 60} hours."
            }
        )


def _announce(meeting: Meeting, *, by: User, was: datetime | None = None) -> None:
    """Email the other members the change with a calendar invitation or cancellation. One row
    per (person, meeting, sequence): each change is announced once, and a row overtaken by a
    later change is dropped at sending time (`programs.notices.meeting_invitation`)."""
    others = (
        RelationshipMember.objects.filter(
            relationship=meeting.relationship_id, left_at__isnull=True
        )
        .exclude(person__user=by)
        .values_list("person__user_id", flat=True)
    )
    data: dict[str, object] = {"by": by.pk}
    if was is not None:
        data["was"] = was.isoformat()
    notifications_send_soon(
        Planned(
            recipient_id=user_id,
            kind=Kind.MEETING_INVITATION,
            subject=f"meeting:{meeting.pk}",
            cycle=f"s{meeting.sequence}",
            program_id=meeting.relationship.program_id,
            data=data,
        )
        for user_id in others
    )


@transaction.atomic
def meeting_schedule(
    *,
    relationship: Relationship,
    starts_at: datetime,
    duration_minutes: int = 60,
    time_zone: str = "UTC",
    mode: str = CommunicationMode.IN_PERSON,
    location: str = "",
    video_url: str = "",
    already_held: bool = False,
    by: User,
) -> Meeting:
    """Schedule an upcoming meeting, or (with `already_held`) log one that took place."""
    relationship = lock_relationship(relationship)
    require_open(relationship)
    _require_member(relationship, by)
    _check_slot(
        relationship=relationship,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        already_held=already_held,
    )
    validate_time_zone(time_zone)
    if mode not in CommunicationMode.values:
        raise ValidationError({"mode": "Choose how you will meet."})
    meeting = Meeting.objects.create(
        relationship=relationship,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        time_zone=time_zone,
        mode=mode,
        location=location.strip(),
        video_url=video_url.strip(),
        status=MeetingStatus.HELD if already_held else MeetingStatus.SCHEDULED,
        scheduled_by=by,
    )
    audit_record(actor=by, verb="meeting.schedule", target=meeting, program=relationship.program)
    if meeting.status == MeetingStatus.SCHEDULED:
        _announce(meeting, by=by)
    return meeting


@transaction.atomic
def meeting_reschedule(
    *,
    meeting: Meeting,
    starts_at: datetime,
    duration_minutes: int,
    time_zone: str,
    mode: str,
    location: str = "",
    video_url: str = "",
    by: User,
) -> Meeting:
    meeting = _lock(meeting)
    relationship = meeting.relationship
    require_open(relationship)
    _require_member(relationship, by)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError("Only an upcoming meeting can be rescheduled.")
    _check_slot(
        relationship=relationship,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        already_held=False,
    )
    validate_time_zone(time_zone)
    was = meeting.starts_at
    meeting.starts_at, meeting.duration_minutes, meeting.time_zone = (
        starts_at,
        duration_minutes,
        time_zone,
    )
    meeting.mode, meeting.location, meeting.video_url = mode, location.strip(), video_url.strip()
    meeting.sequence += 1
    meeting.save()
    audit_record(actor=by, verb="meeting.reschedule", target=meeting, program=relationship.program)
    _announce(meeting, by=by, was=was)
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: User) -> Meeting:
    meeting = _lock(meeting)
    _require_member(meeting.relationship, by)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError("Only an upcoming meeting can be cancelled.")
    meeting.status = MeetingStatus.CANCELLED
    meeting.sequence += 1
    meeting.save(update_fields=["status", "sequence"])
    audit_record(
        actor=by, verb="meeting.cancel", target=meeting, program=meeting.relationship.program
    )
    _announce(meeting, by=by)
    return meeting


def _mark_held_if_due(meeting: Meeting) -> list[str]:
    if meeting.status == MeetingStatus.SCHEDULED and meeting.starts_at <= timezone.now():
        meeting.status = MeetingStatus.HELD
        return ["status"]
    return []


def _writable(meeting: Meeting, by: User) -> RelationshipMember:
    require_open(meeting.relationship)
    member = _require_member(meeting.relationship, by)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError("This meeting was cancelled.")
    return member


@transaction.atomic
def meeting_update_notes(*, meeting: Meeting, revision: int, text: str, by: User) -> Meeting:
    """Save the shared notes if nobody else saved since `revision`; otherwise raise
    NotesConflict with the saved text, so the page can offer both."""
    meeting = _lock(meeting)
    member = _writable(meeting, by)
    if meeting.notes_revision != revision:
        updated_by = (
            FacultyProfile.objects.filter(pk=meeting.notes_updated_by_id).first()
            if meeting.notes_updated_by_id
            else None
        )
        raise NotesConflict(
            current_text=meeting.shared_notes,
            current_revision=meeting.notes_revision,
            updated_by=updated_by.display_name if updated_by else "Someone",
        )
    meeting.shared_notes = _text(text)
    meeting.notes_revision += 1
    meeting.notes_updated_by = member.person
    meeting.notes_updated_at = timezone.now()
    extra = _mark_held_if_due(meeting)
    meeting.save(
        update_fields=[
            "shared_notes",
            "notes_revision",
            "notes_updated_by",
            "notes_updated_at",
            *extra,
        ]
    )
    audit_record(
        actor=by, verb="meeting.notes", target=meeting, program=meeting.relationship.program
    )
    return meeting


@transaction.atomic
def meeting_log(
    *, meeting: Meeting, checklist: Iterable[str], next_meeting_on: date | None, by: User
) -> Meeting:
    """Record what a meeting covered and when the next one should be; marks it held."""
    meeting = _lock(meeting)
    _writable(meeting, by)
    if meeting.starts_at > timezone.now() and not meeting.is_check_in:
        raise ValidationError("This meeting has not started yet; log it once it has taken place.")
    areas = list(dict.fromkeys(checklist))
    if set(areas) - set(ChecklistArea.values):
        raise ValidationError({"checklist": "Choose areas from the list."})
    if (
        next_meeting_on is not None
        and next_meeting_on <= timezone.localtime(meeting.starts_at).date()
    ):
        raise ValidationError({"next_meeting_on": "The next meeting must come after this one."})
    meeting.checklist = areas
    meeting.next_meeting_on = next_meeting_on
    extra = _mark_held_if_due(meeting)
    meeting.save(update_fields=["checklist", "next_meeting_on", *extra])
    audit_record(actor=by, verb="meeting.log", target=meeting, program=meeting.relationship.program)
    return meeting


@transaction.atomic
def private_note_save(
    *, meeting: Meeting, text: str, by: User, revision: int | None = None
) -> PrivateNote:
    """Save the person's own note. `revision` is the one their page showed (0: no note yet); a
    note saved meanwhile from another browser raises NotesConflict instead of being lost."""
    member = _require_member(meeting.relationship, by)
    note = (
        PrivateNote.objects.select_for_update()
        .filter(meeting=meeting, author=member.person)
        .first()
    )
    current = note.revision if note else 0
    if revision is not None and revision != current:
        raise NotesConflict(
            current_text=note.text if note else "",
            current_revision=current,
            updated_by="You (in another window)",
        )
    if note is None:
        note = PrivateNote(meeting=meeting, author=member.person)
    note.text = _text(text)
    note.revision = current + 1
    note.save()
    return note  # not audited: even the fact of a private note is the author's own business


@transaction.atomic
def agenda_item_add(
    *, meeting: Meeting, topic: str, goal: Goal | None = None, analysis: str = "", by: User
) -> AgendaItem:
    meeting = _lock(meeting)
    member = _writable(meeting, by)
    if meeting.is_check_in:
        raise ValidationError("A check-in has no agenda.")
    topic = " ".join(topic.split())
    if not topic:
        raise ValidationError({"topic": "Say what you would like to discuss."})
    _mentee_goal(meeting.relationship, goal, by)
    order = (meeting.agenda_items.aggregate(m=Max("order"))["m"] or 0) + 1
    item = AgendaItem.objects.create(
        meeting=meeting,
        topic=topic[:200],
        goal=goal,
        analysis=_text(analysis),
        order=order,
        added_by=member.person,
    )
    audit_record(actor=by, verb="agenda.add", target=item, program=meeting.relationship.program)
    return item


@transaction.atomic
def agenda_item_remove(*, item: AgendaItem, by: User) -> None:
    member = _writable(item.meeting, by)
    if item.added_by_id != member.person_id:
        raise ValidationError("Only the person who added a topic can remove it.")
    audit_record(
        actor=by, verb="agenda.remove", target=item, program=item.meeting.relationship.program
    )
    item.delete()


@transaction.atomic
def action_item_create(
    *,
    relationship: Relationship,
    owner: FacultyProfile,
    title: str,
    due_on: date | None = None,
    meeting: Meeting | None = None,
    goal: Goal | None = None,
    by: User,
) -> ActionItem:
    relationship = lock_relationship(relationship)
    require_open(relationship)
    member = _require_member(relationship, by)
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": "Say what needs doing."})
    if not RelationshipMember.objects.filter(
        relationship=relationship, person=owner, left_at__isnull=True
    ).exists():
        raise ValidationError(
            {
                "owner": f"{owner.display_name} is not in this relationship; choose one of its members."
            }
        )
    if meeting is not None and meeting.relationship_id != relationship.pk:
        raise ValidationError({"meeting": "That meeting belongs to another relationship."})
    if due_on is not None and due_on < timezone.localdate():
        raise ValidationError({"due_on": "That date has passed; choose today or a later date."})
    _mentee_goal(relationship, goal, by)
    item = ActionItem.objects.create(
        relationship=relationship,
        meeting=meeting,
        owner=owner,
        title=title[:200],
        goal=goal,
        due_on=due_on,
        created_by=member.person,
    )
    audit_record(actor=by, verb="action_item.create", target=item, program=relationship.program)
    return item


@transaction.atomic
def action_item_set_status(
    *, item: ActionItem, status: str, by: User, revision: int | None = None
) -> ActionItem:
    """Change an item's status; `revision` is the one the person's page showed. If the item was
    changed since, NotesConflict carries its current status and nothing changes."""
    item = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("relationship__program")
        .get(pk=item.pk)
    )
    _require_member(item.relationship, by)
    if status not in ActionItemStatus.values:
        raise ValidationError({"status": "Choose a status from the list."})
    if revision is not None and revision != item.revision:
        raise NotesConflict(
            current_text=item.get_status_display(),
            current_revision=item.revision,
            updated_by="Someone",
        )
    item.status = status
    item.completed_at = timezone.now() if status == ActionItemStatus.DONE else None
    item.revision += 1
    item.save(update_fields=["status", "completed_at", "revision"])
    audit_record(
        actor=by,
        verb="action_item.status",
        target=item,
        program=item.relationship.program,
        status=status,
    )
    return item


@transaction.atomic
def recap_write(*, meeting: Meeting, text: str, by: User, revision: int | None = None) -> Recap:
    """Write (or rewrite, until another member confirms it) the meeting's recap. `revision` is
    the one the writer saw (0: none yet); a recap written meanwhile raises NotesConflict, so the
    second writer sees the first's text instead of replacing it unseen."""
    meeting = _lock(meeting)
    member = _writable(meeting, by)
    if meeting.starts_at > timezone.now():
        raise ValidationError("Write the recap once the meeting has taken place.")
    text = _text(text)
    if not text:
        raise ValidationError({"text": "Write a few lines on what you agreed."})
    recap = Recap.objects.select_related("written_by").filter(meeting=meeting).first()
    if recap is not None and recap.confirmed_at is not None:
        raise ValidationError("The recap has been confirmed; it can no longer be changed.")
    _check_recap_revision(recap, revision)
    if recap is None:
        recap = Recap(meeting=meeting)
    recap.written_by = member.person
    recap.text = text
    recap.revision += 1
    recap.save()
    extra = _mark_held_if_due(meeting)
    if extra:
        meeting.save(update_fields=extra)
    audit_record(actor=by, verb="recap.write", target=recap, program=meeting.relationship.program)
    return recap


def _check_recap_revision(recap: Recap | None, revision: int | None) -> None:
    current = recap.revision if recap else 0
    if revision is not None and revision != current:
        raise NotesConflict(
            current_text=recap.text if recap else "",
            current_revision=current,
            updated_by=recap.written_by.display_name if recap else "Someone",
        )


@transaction.atomic
def recap_confirm(*, meeting: Meeting, by: User, revision: int | None = None) -> Recap:
    """Confirm the recap as the person read it: `revision` names that text. If it was rewritten
    since, NotesConflict carries the new text and nothing is confirmed."""
    meeting = _lock(meeting)
    member = _writable(meeting, by)
    recap = (
        Recap.objects.select_for_update(of=("self",))
        .select_related("written_by")
        .filter(meeting=meeting)
        .first()
    )
    if recap is None:
        raise ValidationError("There is no recap to confirm yet.")
    if recap.written_by_id == member.person_id:
        raise ValidationError("The recap is confirmed by someone other than its writer.")
    if recap.confirmed_at is None:
        _check_recap_revision(recap, revision)
        recap.confirmed_by = member.person
        recap.confirmed_at = timezone.now()
        recap.save(update_fields=["confirmed_by", "confirmed_at"])
        audit_record(
            actor=by, verb="recap.confirm", target=recap, program=meeting.relationship.program
        )
    return recap


@transaction.atomic
def checkin_log(
    *,
    relationship: Relationship,
    occurred_at: datetime,
    mode: str,
    summary: str,
    by: User,
) -> Meeting:
    """An asynchronous exchange (an email thread, a message) worth keeping on the record."""
    relationship = lock_relationship(relationship)
    require_open(relationship)
    member = _require_member(relationship, by)
    if occurred_at > timezone.now():
        raise ValidationError({"occurred_on": "A check-in is logged after it happened."})
    if occurred_at.date() < relationship.started_on:
        raise ValidationError({"occurred_on": "That is before the relationship started."})
    if mode not in CommunicationMode.values:
        raise ValidationError({"mode": "Choose how you were in touch."})
    summary = _text(summary)
    if not summary:
        raise ValidationError({"summary": "Write a line or two on what you exchanged."})
    meeting = Meeting.objects.create(
        relationship=relationship,
        starts_at=occurred_at,
        duration_minutes=0,
        time_zone=member.person.time_zone,
        mode=mode,
        status=MeetingStatus.CHECK_IN,
        shared_notes=summary,
        notes_revision=1,
        notes_updated_by=member.person,
        notes_updated_at=timezone.now(),
        scheduled_by=by,
    )
    audit_record(actor=by, verb="meeting.check_in", target=meeting, program=relationship.program)
    return meeting


# --- Calendar feeds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewFeed:
    feed: CalendarFeed
    token: str  # shown once; only its hash is stored


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, person: FacultyProfile, by: User) -> NewFeed:
    """Create the person's feed address, replacing (and so revoking) any earlier one."""
    token = secrets.token_urlsafe(32)
    feed, _ = CalendarFeed.objects.update_or_create(
        person=person, defaults={"token_hash": feed_token_hash(token), "last_used_at": None}
    )
    audit_record(actor=by, verb="calendar_feed.create", target=feed)
    return NewFeed(feed=feed, token=token)


@transaction.atomic
def calendar_feed_revoke(*, person: FacultyProfile, by: User) -> None:
    deleted, _ = CalendarFeed.objects.filter(person=person).delete()
    if deleted:
        audit_record(actor=by, verb="calendar_feed.revoke", target=person)


def calendar_feed_lookup(token: str) -> CalendarFeed | None:
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("person")
        .filter(token_hash=feed_token_hash(token))
        .first()
    )
    if feed is not None:
        # Touch at most hourly: calendar apps poll often and this is only for "last used".
        now = timezone.now()
        if feed.last_used_at is None or (now - feed.last_used_at).total_seconds() > 3600:
            CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed
