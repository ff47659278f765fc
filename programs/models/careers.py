"""Faculty careers over time: each rank and academic stream held from an effective date, and
departures. The outcomes figures (promotion within N years, retention, the comparison group of
the same rank and stream) read these; the profile only holds the rank and stream today."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from programs.models.people import FacultyProfile
from programs.models.reference import AcademicRank, AcademicStream


class CareerSource(models.TextChoices):
    ROSTER = "roster", "Roster import"
    PROFILE = "profile", "Profile change"
    SSO = "sso", "Single sign-on attributes"
    RECORDED = "recorded", "Recorded by a director or admin"


class DepartureReason(models.TextChoices):
    RETIRED = "retired", "Retired"
    MOVED = "moved", "Moved to another institution"
    LEFT_MEDICINE = "left_medicine", "Left academic medicine"
    OTHER = "other", "Other"
    # The roster's "left on" column says when, never why.
    NOT_GIVEN = "", "Not given"


class _DatedChange(models.Model):
    """What a career history entry holds besides its value: from when, from where, who said."""

    effective_on = models.DateField()
    source = models.CharField(max_length=10, choices=CareerSource.choices)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ("person", "effective_on", "pk")


class RankChange(_DatedChange):
    """From `effective_on` the person holds `rank` (until their next change)."""

    person = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="rank_changes"
    )
    rank = models.ForeignKey(AcademicRank, on_delete=models.PROTECT, related_name="+")

    class Meta(_DatedChange.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["person", "effective_on", "rank"], name="programs_rank_change_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rank} from {self.effective_on}"


class StreamChange(_DatedChange):
    """From `effective_on` the person is in academic `stream` (until their next change)."""

    person = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="stream_changes"
    )
    stream = models.ForeignKey(AcademicStream, on_delete=models.PROTECT, related_name="+")

    class Meta(_DatedChange.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["person", "effective_on", "stream"], name="programs_stream_change_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stream} from {self.effective_on}"


class Departure(models.Model):
    """The person left the institution's faculty on `left_on` (retention counts these). A
    withdrawn departure (recorded in error) is kept for the audit trail and counts for nothing."""

    person = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="departures")
    left_on = models.DateField()
    reason = models.CharField(
        max_length=20,
        choices=DepartureReason.choices,
        default=DepartureReason.NOT_GIVEN,
        blank=True,
    )
    note = models.TextField(blank=True, max_length=1000)
    source = models.CharField(max_length=10, choices=CareerSource.choices)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("person", "left_on", "pk")
        constraints = [
            models.UniqueConstraint(fields=["person", "left_on"], name="programs_departure_once")
        ]

    def __str__(self) -> str:
        return f"Left on {self.left_on}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None
