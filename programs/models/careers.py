"""Faculty careers over time: each rank held from an effective date, and departures. The
outcomes figures (promotion within N years, retention) read these; the profile only holds the
rank today."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from programs.models.people import FacultyProfile
from programs.models.reference import AcademicRank


class CareerSource(models.TextChoices):
    ROSTER = "roster", "Roster import"
    PROFILE = "profile", "Profile change"
    SSO = "sso", "Single sign-on attributes"


class RankChange(models.Model):
    """From `effective_on` the person holds `rank` (until their next change)."""

    person = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="rank_changes"
    )
    rank = models.ForeignKey(AcademicRank, on_delete=models.PROTECT, related_name="+")
    effective_on = models.DateField()
    source = models.CharField(max_length=10, choices=CareerSource.choices)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("person", "effective_on", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "effective_on", "rank"], name="programs_rank_change_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rank} from {self.effective_on}"


class Departure(models.Model):
    """The person left the institution's faculty on `left_on` (retention counts these)."""

    person = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="departures")
    left_on = models.DateField()
    source = models.CharField(max_length=10, choices=CareerSource.choices)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("person", "left_on", "pk")
        constraints = [
            models.UniqueConstraint(fields=["person", "left_on"], name="programs_departure_once")
        ]

    def __str__(self) -> str:
        return f"Left on {self.left_on}"
