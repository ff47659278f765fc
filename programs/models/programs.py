"""Programs, their intake cohorts, and people's roles in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from programs.models.people import FacultyProfile
from programs.models.reference import Institution
from programs.validators import validate_name


class MeetingCadence(models.IntegerChoices):
    """Days between meetings. Programs in the literature range from monthly to twice a year."""

    MONTHLY = 30, "Monthly"
    SIX_WEEKLY = 42, "Every six weeks"
    BIMONTHLY = 61, "Every two months"
    QUARTERLY = 91, "Every three months"
    TWICE_A_YEAR = 182, "Twice a year"


class MentoringModel(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "Traditional one-to-one"
    PEER = "peer", "Peer mentoring"
    FACILITATED_GROUP = (
        "facilitated_group",
        "Facilitated peer group (3–5 with a senior facilitator)",
    )
    PEER_GROUP = "peer_group", "Peer “mastermind” group"
    MOSAIC = "mosaic", "Mosaic (a board of mentors, one per need)"


class Program(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="programs")
    name = models.CharField(max_length=160, validators=[validate_name])
    # Optimistic concurrency for the settings page: a save names the revision it started from.
    settings_revision = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True, max_length=4000)
    meeting_cadence_days = models.PositiveSmallIntegerField(
        choices=MeetingCadence.choices, default=MeetingCadence.MONTHLY
    )
    review_cadence_months = models.PositiveSmallIntegerField(
        default=6, help_text="How often each pair answers a relationship review after the pilot."
    )
    pilot_length_days = models.PositiveSmallIntegerField(
        default=90, help_text="The trial period an assigned pair has before both commit."
    )
    allowed_models = models.JSONField(default=list)
    max_pending_requests = models.PositiveSmallIntegerField(
        default=3, help_text="How many mentor requests a mentee may have waiting at once."
    )
    request_expiry_days = models.PositiveSmallIntegerField(default=14)
    reassessment_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Ask mentees to redo their self-evaluation this often."
    )
    review_risk_threshold = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        default=3,
        help_text="A review scoring below this (on a 1–5 scale) flags the relationship at risk.",
    )
    review_drop_threshold = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        default=1,
        help_text="A fall of this much since the previous review flags the relationship at risk.",
    )
    # Reminders (issue 6): when each nudge is due. Times are shown in each recipient's own zone.
    upcoming_reminder_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Remind everyone in a relationship this many hours before a meeting."
    )
    agenda_reminder_days = models.PositiveSmallIntegerField(
        default=2, help_text="Ask the mentee to prepare an agenda this many days before a meeting."
    )
    log_reminder_days = models.PositiveSmallIntegerField(
        default=2,
        help_text="Ask the pair to log a meeting or confirm its recap this many days after it, "
        "if nobody has.",
    )
    checkin_grace_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="Days allowed past the agreed meeting rhythm before a friendly check-in nudge. "
        "After a second missed cycle the relationship is flagged to directors as quiet.",
    )
    pilot_reminder_days = models.PositiveSmallIntegerField(
        default=7, help_text="Remind the pair this many days before their pilot period ends."
    )
    review_instrument = models.ForeignKey(
        "programs.ReviewInstrument",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The relationship review this program uses; empty means the shipped default.",
    )
    mentor_training_hours_required = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Hours of the program's mentor training (recorded attendance) a mentor needs "
        "before being matched. Leave empty for no such rule.",
    )
    # Facilitated peer groups (issue 12): a facilitator must be senior to every member, by at
    # least this many ranks or this many more career years (either is enough).
    facilitator_rank_gap = models.PositiveSmallIntegerField(
        default=1,
        help_text="A facilitator is at least this many academic ranks above every group member…",
    )
    facilitator_years_gap = models.PositiveSmallIntegerField(
        default=8, help_text="… or has at least this many more years on the faculty."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="programs_program_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("programs:detail", args=[self.pk])

    @property
    def allowed_model_labels(self) -> list[str]:
        labels = dict(MentoringModel.choices)
        return [labels[m] for m in self.allowed_models if m in labels]

    @property
    def offers_peers(self) -> bool:
        """Peer mentoring or peer circles: participants find peers and circles, not mentors."""
        return bool(set(self.allowed_models or []) & set(PEER_MODELS))

    @property
    def offers_mentors(self) -> bool:
        """Whether participants look for mentors: every program does unless all it offers is
        peer mentoring and peer circles."""
        models_ = set(self.allowed_models or [])
        return not models_ or bool(models_ - set(PEER_MODELS))


# A peer program's participants see peers and circles instead of a mentor shortlist.
PEER_MODELS = (MentoringModel.PEER, MentoringModel.FACILITATED_GROUP, MentoringModel.PEER_GROUP)


# Reminder timing, review-risk thresholds, facilitator seniority: each has a default, so leaving one blank keeps it.
DEFAULTED_PROGRAM_SETTINGS = (
    "upcoming_reminder_hours",
    "agenda_reminder_days",
    "log_reminder_days",
    "checkin_grace_days",
    "pilot_reminder_days",
    "review_risk_threshold",
    "review_drop_threshold",
    "facilitator_rank_gap",
    "facilitator_years_gap",
)
# What a director sets on the program's settings page (the form and `program_update` both use it).
PROGRAM_SETTINGS = (
    "name",
    "description",
    "meeting_cadence_days",
    "review_cadence_months",
    "pilot_length_days",
    "allowed_models",
    "max_pending_requests",
    "request_expiry_days",
    "reassessment_months",
    "mentor_training_hours_required",
    *DEFAULTED_PROGRAM_SETTINGS,
)


class Cohort(models.Model):
    """An intake cycle of a program (e.g. "2026–27 new faculty")."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=120, validators=[validate_name])
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-starts_on", "name")
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="programs_cohort_unique_name"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")),
                name="programs_cohort_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MENTEE = "mentee", "Mentee"
    MENTOR = "mentor", "Mentor"
    BOTH = "both", "Mentee and mentor"
    DIRECTOR = "director", "Program director"


MENTEE_ROLES = (Role.MENTEE, Role.BOTH)
MENTOR_ROLES = (Role.MENTOR, Role.BOTH)


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


class Membership(models.Model):
    """A person's role in one program. One row per person and program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    mentor_capacity = models.PositiveSmallIntegerField(
        default=2, help_text="How many mentees this mentor takes at once in this program."
    )
    status = models.CharField(
        max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("program", "role")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "person"], name="programs_membership_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(mentor_capacity__lte=20), name="programs_membership_capacity_max"
            ),
        ]
        indexes = [models.Index(fields=["program", "role", "status"])]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()} in {self.program}"

    @property
    def is_mentee(self) -> bool:
        return self.role in MENTEE_ROLES

    @property
    def is_mentor(self) -> bool:
        return self.role in MENTOR_ROLES

    @property
    def is_director(self) -> bool:
        return self.role == Role.DIRECTOR


class JoinRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a director"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class JoinRequest(models.Model):
    """A faculty member asking to take part in a program of their institution; one of its
    directors approves (choosing the role) or declines. With a `circle`, a participant of the
    program asks to join one of its circles (a facilitated or peer group); a director or the
    circle's facilitator approves or declines."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="join_requests")
    person = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="join_requests"
    )
    message = models.TextField(blank=True, max_length=1000)
    status = models.CharField(
        max_length=10, choices=JoinRequestStatus.choices, default=JoinRequestStatus.PENDING
    )
    role = models.CharField(max_length=10, choices=Role.choices, blank=True)
    circle = models.ForeignKey(
        "programs.Relationship",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="join_requests",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["program", "person"],
                condition=models.Q(status="pending", circle__isnull=True),
                name="programs_joinrequest_one_pending",
            ),
            models.UniqueConstraint(
                fields=["circle", "person"],
                condition=models.Q(status="pending", circle__isnull=False),
                name="programs_joinrequest_one_pending_per_circle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} asks to join {self.program}"
