"""Confidential concerns: a path from either party straight to the program directors.

The other party must never learn a concern exists. Nothing here changes the relationship's own
rows, and every read goes through `access.concerns_visible_to` / `get_concern_for_user`; every
view of a concern is written to the append-only `AuditEvent` log as "concern.view"."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from programs.models.people import FacultyProfile
from programs.models.relationships import Relationship


class ConcernCategory(models.TextChoices):
    CREDIT = "credit", "Credit taken for my work, or unclear authorship"
    HARASSMENT = "harassment", "Harassment or disrespect"
    COMPETITION = "competition", "Competition between us"
    CONFLICT_OF_INTEREST = "conflict", "Conflict of interest (authority over me, my resources)"
    UNRESPONSIVE = "unresponsive", "Unresponsive or not committed"
    OTHER = "other", "Something else"


class ConcernStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Concern(models.Model):
    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="concerns"
    )
    raised_by = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="concerns_raised"
    )
    category = models.CharField(max_length=14, choices=ConcernCategory.choices)
    text = models.TextField(max_length=5000)
    status = models.CharField(
        max_length=14, choices=ConcernStatus.choices, default=ConcernStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(
        blank=True,
        max_length=5000,
        help_text="What was done. The person who raised the concern sees this.",
    )

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["relationship", "status"])]

    def __str__(self) -> str:
        return f"Concern {self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("concern_detail", args=[self.pk])


class ConcernNote(models.Model):
    """A director's working note on a concern: seen only by the program's directors."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"Note on concern {self.concern_id}"
