"""What the matching engine stores: program weights, declared conflicts and director rules,
mentee requests to mentors, and bulk-matching proposals (runs and their suggestions).

Nothing here changes a relationship: requests are accepted and proposals are published through
`matching.services`, which call `programs.services.relationships.relationship_create`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from programs.models import Cohort, FacultyProfile, NeedArea, Program


class MatchSettings(models.Model):
    """A program's matching weights (criterion → weight); missing criteria use the defaults."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="match_settings")
    weights = models.JSONField(default=dict, blank=True)
    shortlist_size = models.PositiveSmallIntegerField(default=10)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Matching settings of {self.program}"


class ConflictOfInterest(models.Model):
    """Two people who must never be paired (declared by either of them or by a director).
    Confidential: shown to directors only; the other person never learns of it."""

    person = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="+")
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "other"], name="matching_coi_unique"),
            models.CheckConstraint(condition=~Q(person=models.F("other")), name="matching_coi_two"),
        ]

    def __str__(self) -> str:
        return f"Conflict of interest: {self.person_id} / {self.other_id}"


class PairRuleKind(models.TextChoices):
    PIN = "pin", "Always pair them (pinned)"
    FORBID = "forbid", "Never pair them"
    ALLOW_AGAIN = "allow_again", "Allow them to be paired again after an earlier ending"


class PairRule(models.Model):
    """A director's decision about one mentee–mentor pair in a program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="pair_rules")
    mentee = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=PairRuleKind.choices)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentee", "mentor", "kind"], name="matching_pair_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.mentee_id} → {self.mentor_id}"


class ShortlistMark(models.TextChoices):
    BOOKMARK = "bookmark", "Bookmarked"
    HIDDEN = "hidden", "Hidden"


class MentorMark(models.Model):
    """A mentee's bookmark on, or decision to hide, a mentor in their shortlist."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    mentee = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="+")
    mark = models.CharField(max_length=10, choices=ShortlistMark.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentee", "mentor"], name="matching_mark_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} {self.mark} {self.mentor_id}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


class RequestKind(models.TextChoices):
    MENTOR = "mentor", "Asks to be mentored"
    PEER = "peer", "Proposes a peer pairing"
    OUTSIDE = "outside", "Invites an outside mentor"


class MentorRequest(models.Model):
    """A mentee asking a mentor to mentor them, in one program. The same request, answer,
    expiry and email flow carries a peer's proposal to pair as peers (`kind` peer: `mentee` is
    the one who proposes, `mentor` the peer asked; both give and receive once accepted) and a
    mentee's invitation to a mentor from outside the institution (`kind` outside: the
    relationship starts only when they accept)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="mentor_requests")
    mentee = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="mentor_requests_sent"
    )
    mentor = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="mentor_requests_received"
    )
    focus_area = models.ForeignKey(
        NeedArea, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=RequestKind.choices, default=RequestKind.MENTOR)
    message = models.TextField(max_length=2000)
    # What the relationship will record once accepted (an outside mentor's invitation says them).
    roles = models.JSONField(default=list, blank=True)
    is_remote = models.BooleanField(default=False)
    score = models.FloatField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    response_message = models.TextField(blank=True, max_length=2000)
    relationship = models.ForeignKey(
        "programs.Relationship", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentee", "mentor"],
                condition=Q(status="pending"),
                name="matching_one_pending_request_per_pair",
            )
        ]
        indexes = [
            models.Index(fields=["mentor", "status"]),
            models.Index(fields=["mentee", "status"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"Request {self.mentee_id} → {self.mentor_id} ({self.status})"

    @property
    def is_peer(self) -> bool:
        return self.kind == RequestKind.PEER

    @property
    def is_outside(self) -> bool:
        return self.kind == RequestKind.OUTSIDE


class RunMode(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "One mentor per mentee (up to each mentor's capacity)"
    MOSAIC = "mosaic", "Mosaic: several mentors per mentee, one per need area"
    PEER = "peer", "Peer pairs (similar stage, both directions)"
    PEER_GROUPS = "peer_groups", "Facilitated peer groups of 3–5 with a senior facilitator"
    MASTERMIND = "mastermind", "Peer “mastermind” groups of 3–5, without a facilitator"


GROUP_MODES = (RunMode.PEER_GROUPS, RunMode.MASTERMIND)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready for review"
    FAILED = "failed", "Failed"
    PUBLISHED = "published", "Published"
    DISCARDED = "discarded", "Discarded"
    STOPPED = "stopped", "Stopped"
    SUPERSEDED = "superseded", "Superseded by a newer published proposal"


class MatchRun(models.Model):
    """A proposal over a program's cohort. Nothing changes until a director publishes it."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="match_runs")
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="match_runs"
    )
    mode = models.CharField(max_length=12, choices=RunMode.choices)
    maximise_matched_first = models.BooleanField(
        default=False,
        help_text="Match as many mentees as possible first, then maximise total fit.",
    )
    areas = models.ManyToManyField(
        NeedArea, blank=True, related_name="+", help_text="Mosaic: the need areas to fill."
    )
    weights = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life: queued, or its worker's heartbeat."
    )
    starts = models.PositiveSmallIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Match run {self.pk} ({self.get_mode_display()}) for {self.program}"

    @property
    def is_finished(self) -> bool:
        return self.status in (
            RunStatus.READY,
            RunStatus.FAILED,
            RunStatus.PUBLISHED,
            RunStatus.DISCARDED,
            RunStatus.STOPPED,
            RunStatus.SUPERSEDED,
        )


class SuggestionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    REMOVED = "removed", "Removed by a director"


class MatchSuggestion(models.Model):
    """One proposed pairing (or one member of a proposed peer group)."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="suggestions")
    mentee = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(
        FacultyProfile,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The mentor, the peer partner, or a group's facilitator.",
    )
    group = models.PositiveIntegerField(null=True, blank=True, help_text="Peer group number.")
    area = models.ForeignKey(
        NeedArea, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.FloatField()
    breakdown = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.PROPOSED
    )
    is_pinned = models.BooleanField(default=False)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("run", "group", "pk")
        indexes = [models.Index(fields=["run", "status"])]

    def __str__(self) -> str:
        return f"{self.mentee_id} ↔ {self.mentor_id} ({self.score:.0f})"
