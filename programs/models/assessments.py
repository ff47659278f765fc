"""The mentoring self-evaluation tool (seed 000, Fig. 1) and what mentors offer.

A faculty member's self-evaluation is versioned: one draft at a time, and each submission is a
dated version. Goals belong to a version; a goal carried into the next version keeps its
`lineage`, so progress can be followed across versions and meetings."""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.db.models import Q

from programs.domain.assessment_sections import TEXT_FIELDS
from programs.models.people import FacultyProfile
from programs.models.reference import NeedArea

SHORT_TEXT = 1000
LONG_TEXT = 3000


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class LocationPreference(models.TextChoices):
    EITHER = "either", "Either is fine"
    LOCAL = "local", "Someone at my institution"
    REMOTE = "remote", "Someone elsewhere is welcome"


class SelfAssessment(models.Model):
    person = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="self_assessments"
    )
    version = models.PositiveSmallIntegerField(
        help_text="1 for the first submission; a draft carries the number it will get."
    )
    status = models.CharField(
        max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    # Optimistic concurrency for autosave: every save must name the revision it started from.
    revision = models.PositiveIntegerField(default=0)
    # A random token per open page of the form. A stale revision from the page that wrote last is
    # its own in-flight autosave racing its next one, not a second tab, so it is not a conflict.
    last_editor = models.CharField(max_length=32, blank=True)
    current_step = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    # 1. Mission and personal definition of success (private reflections)
    mission = models.TextField(blank=True, max_length=LONG_TEXT)
    success_definition = models.TextField(blank=True, max_length=LONG_TEXT)
    # 3. Personal goals and how they interface with professional goals
    personal_goals = models.TextField(blank=True, max_length=LONG_TEXT)
    goals_interface = models.TextField(blank=True, max_length=LONG_TEXT)
    # 4. Strengths and challenges
    strengths = models.TextField(blank=True, max_length=LONG_TEXT)
    challenges = models.TextField(blank=True, max_length=LONG_TEXT)
    # 5. Mentoring needs (structured parts are visible to directors; the notes are private)
    roles_wanted = models.JSONField(default=list, blank=True)
    location_preference = models.CharField(
        max_length=10, choices=LocationPreference.choices, default=LocationPreference.EITHER
    )
    needs_notes = models.TextField(blank=True, max_length=LONG_TEXT)
    # 6. What helps me work effectively
    motivators = models.TextField(blank=True, max_length=LONG_TEXT)
    communication_modes = models.JSONField(default=list, blank=True)
    deadlines = models.TextField(blank=True, max_length=SHORT_TEXT)
    # 7. What makes work harder
    hindrances = models.TextField(blank=True, max_length=LONG_TEXT)
    # 8. Qualities I value in colleagues
    valued_qualities = models.TextField(blank=True, max_length=LONG_TEXT)
    # Optional: a short introduction for approaching remote mentors (seed 004)
    elevator_pitch = models.TextField(blank=True, max_length=SHORT_TEXT)

    PRIVATE_FIELDS = TEXT_FIELDS  # every free-text reflection is private

    class Meta:
        ordering = ("person", "-version")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="draft"),
                name="programs_selfassessment_one_draft",
            ),
            models.UniqueConstraint(
                fields=["person", "version"],
                condition=Q(status="submitted"),
                name="programs_selfassessment_unique_version",
            ),
        ]
        indexes = [models.Index(fields=["person", "status", "-version"])]

    def __str__(self) -> str:
        return f"Self-evaluation v{self.version} ({self.get_status_display()}) of {self.person}"


class GoalHorizon(models.TextChoices):
    SHORT = "short", "Short term (1–5 years)"
    LONG = "long", "Long term (5–10 years)"


class GoalStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    ACHIEVED = "achieved", "Achieved"
    SET_ASIDE = "set_aside", "Set aside"


MAX_GOALS_PER_HORIZON = 3


class Goal(models.Model):
    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="goals")
    lineage = models.UUIDField(
        default=uuid.uuid4, help_text="The same goal across versions of the self-evaluation."
    )
    horizon = models.CharField(max_length=5, choices=GoalHorizon.choices)
    text = models.CharField(max_length=300)
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=GoalStatus.choices, default=GoalStatus.NOT_STARTED
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("assessment", "horizon", "order", "pk")
        indexes = [models.Index(fields=["lineage"])]

    def __str__(self) -> str:
        return self.text


class NeedPriority(models.IntegerChoices):
    HIGH = 1, "High"
    MEDIUM = 2, "Medium"
    LOW = 3, "Low"


class MentoringNeed(models.Model):
    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="needs")
    area = models.ForeignKey(NeedArea, on_delete=models.PROTECT, related_name="needs")
    priority = models.PositiveSmallIntegerField(
        choices=NeedPriority.choices, default=NeedPriority.MEDIUM
    )

    class Meta:
        ordering = ("priority", "area__order")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "area"], name="programs_need_unique")
        ]

    def __str__(self) -> str:
        return f"{self.area} ({self.get_priority_display()})"


class AssessmentShare(models.Model):
    """A submitted version shared, reflections and all, with one mentor; revocable."""

    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="shares")
    shared_with = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="assessments_shared_with_me"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "shared_with"],
                condition=Q(revoked_at__isnull=True),
                name="programs_share_unique_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessment} shared with {self.shared_with}"


class MentorOffer(models.Model):
    """What a faculty member offers as a mentor, across all their programs. The number of mentees
    at once is per program (`Membership.mentor_capacity`)."""

    person = models.OneToOneField(
        FacultyProfile, on_delete=models.CASCADE, related_name="mentor_offer"
    )
    need_areas = models.ManyToManyField(NeedArea, blank=True, related_name="offers")
    roles_offered = models.JSONField(default=list, blank=True)
    accepting = models.BooleanField(default=True, help_text="Open to new mentees.")
    paused_until = models.DateField(null=True, blank=True)
    mentors_remotely = models.BooleanField(
        default=True, help_text="Willing to mentor someone at another institution, by video."
    )
    years_mentoring = models.PositiveSmallIntegerField(default=0)
    prior_mentees = models.PositiveSmallIntegerField(default=0)
    notes = models.TextField(blank=True, max_length=SHORT_TEXT)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Mentor offer of {self.person}"

    def is_accepting(self, today: date) -> bool:
        """Open to new mentees today: accepting, or paused until a date that has passed."""
        if self.accepting:
            return True
        return self.paused_until is not None and self.paused_until <= today


class MentorTraining(models.Model):
    person = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="mentor_trainings"
    )
    name = models.CharField(max_length=160)
    completed_on = models.DateField()

    class Meta:
        ordering = ("-completed_on",)

    def __str__(self) -> str:
        return f"{self.name} ({self.completed_on})"
