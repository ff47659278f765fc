"""Meetings and what surrounds them (seed 001 "tactics", seed 004): the mentee's agenda, a
checklist of areas covered, shared and private notes, action items, the "reiterate and review"
recap, asynchronous check-ins, and each person's private calendar feed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from programs.models.assessments import Goal
from programs.models.people import FacultyProfile
from programs.models.reference import CommunicationMode
from programs.models.relationships import Relationship

NOTES_TEXT = 10000


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"
    CHECK_IN = "check_in", "Check-in"


# A meeting that took place: held, or a logged check-in (what "last met", "quiet" and the report
# count).
MET_STATUSES = (MeetingStatus.HELD, MeetingStatus.CHECK_IN)


class ChecklistArea(models.TextChoices):
    """The areas a meeting should touch on (seed 001: career, administration, education,
    personal; we add research and clinical, which faculty in academic medicine also bring)."""

    CAREER = "career", "Career"
    RESEARCH = "research", "Research"
    EDUCATION = "education", "Education"
    ADMINISTRATION = "administration", "Administration"
    CLINICAL = "clinical", "Clinical"
    PERSONAL = "personal", "Personal and work–life"


class Meeting(models.Model):
    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="meetings"
    )
    starts_at = models.DateTimeField(help_text="Stored in UTC.")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="The zone of the person who scheduled it."
    )
    mode = models.CharField(
        max_length=12, choices=CommunicationMode.choices, default=CommunicationMode.IN_PERSON
    )
    location = models.CharField(max_length=200, blank=True)
    video_url = models.URLField(blank=True, max_length=500)
    status = models.CharField(
        max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    checklist = models.JSONField(default=list, blank=True)
    shared_notes = models.TextField(blank=True, max_length=NOTES_TEXT)
    # Optimistic concurrency for the shared notes: a save must name the revision it started from.
    notes_revision = models.PositiveIntegerField(default=0)
    notes_updated_by = models.ForeignKey(
        FacultyProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes_updated_at = models.DateTimeField(null=True, blank=True)
    next_meeting_on = models.DateField(null=True, blank=True)
    # Bumped on every reschedule or cancellation so calendar apps replace the old event.
    sequence = models.PositiveIntegerField(default=0)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-starts_at",)
        indexes = [
            models.Index(fields=["relationship", "status", "starts_at"]),
            # The reminders sweep looks for meetings by time across all relationships.
            models.Index(fields=["status", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"Meeting {self.pk} of relationship {self.relationship_id} at {self.starts_at:%Y-%m-%d %H:%M}Z"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("meeting_detail", args=[self.pk])

    @property
    def ends_at(self):
        from datetime import timedelta

        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_check_in(self) -> bool:
        return self.status == MeetingStatus.CHECK_IN

    @property
    def checklist_labels(self) -> list[str]:
        labels = dict(ChecklistArea.choices)
        return [labels[a] for a in self.checklist if a in labels]


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    topic = models.CharField(max_length=200)
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="agenda_items"
    )
    analysis = models.TextField(
        blank=True, max_length=3000, help_text="The mentee's own thinking on the topic."
    )
    order = models.PositiveSmallIntegerField(default=0)
    added_by = models.ForeignKey(
        FacultyProfile, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("meeting", "order", "pk")

    def __str__(self) -> str:
        return self.topic


class PrivateNote(models.Model):
    """A person's own notes on a meeting. Never shown to anyone else — not the other party, not
    directors, not admins (see access.private_notes_of)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="private_notes")
    author = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(blank=True, max_length=NOTES_TEXT)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency: a save names the revision it started from (two open browsers).
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "author"], name="programs_privatenote_one_per_author"
            )
        ]

    def __str__(self) -> str:
        return f"Private note of {self.author_id} on meeting {self.meeting_id}"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DROPPED = "dropped", "No longer needed"


class ActionItem(models.Model):
    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="action_items"
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    owner = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=200)
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    created_by = models.ForeignKey(
        FacultyProfile, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    # A status change names the revision its page showed, so a stale page cannot undo
    # someone else's change unseen.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("status", "due_on", "pk")
        indexes = [models.Index(fields=["relationship", "status", "due_on"])]

    def __str__(self) -> str:
        return self.title


class Recap(models.Model):
    """ "Reiterate and review" (seed 001): one party writes what was agreed, another confirms."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="recap")
    written_by = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=5000)
    written_at = models.DateTimeField(auto_now=True)
    # Every write and confirmation names the revision it saw: a confirmation is bound to the
    # text that was read, and a second writer cannot silently replace the first.
    revision = models.PositiveIntegerField(default=0)
    confirmed_by = models.ForeignKey(
        FacultyProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("written_by")),
                name="programs_recap_confirmed_by_another",
            )
        ]

    def __str__(self) -> str:
        return f"Recap of meeting {self.meeting_id}"


class CalendarFeed(models.Model):
    """A person's private calendar address. We keep only a SHA-256 of the token, so a copy of the
    database does not reveal working feed addresses; creating a new one revokes the old."""

    person = models.OneToOneField(
        FacultyProfile, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.person}"
