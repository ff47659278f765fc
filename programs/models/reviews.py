"""Periodic relationship reviews: each party answers privately; directors see results and trends.

An instrument is a set of items on an agreement scale. The default one ships with the app
(migration); a program may load its own (e.g. a validated instrument it holds a licence for).
Items are either *strengths* (the characteristics of successful relationships, seed 001 Table 2)
or *warning signs* (of failing ones, Table 3); agreeing with a warning sign lowers the score, so
scores are always "higher is healthier"."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from programs.models.people import FacultyProfile
from programs.models.programs import Program
from programs.models.relationships import Relationship


class ItemPolarity(models.TextChoices):
    STRENGTH = "strength", "A sign of a healthy relationship"
    WARNING = "warning", "A warning sign (agreeing lowers the score)"


class AnsweredBy(models.TextChoices):
    BOTH = "both", "Both sides"
    MENTEE = "mentee", "Mentees (and peers)"
    MENTOR = "mentor", "Mentors (and facilitators)"


class ReviewInstrument(models.Model):
    program = models.ForeignKey(
        Program,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="review_instruments",
        help_text="Empty for instruments shipped with the app and available to every program.",
    )
    # Optimistic concurrency for the editor: a save names the revision it started from.
    revision = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True, max_length=2000)
    source = models.CharField(
        max_length=300, blank=True, help_text="Citation or licence of a validated instrument."
    )
    scale_min = models.PositiveSmallIntegerField(default=1)
    scale_max = models.PositiveSmallIntegerField(default=5)
    scale_labels = models.JSONField(
        default=list, blank=True, help_text="One label per scale point, lowest first."
    )
    licence = models.CharField(
        max_length=300, blank=True, help_text="Under what terms the instrument may be used."
    )
    subscale_names = models.JSONField(
        default=dict,
        blank=True,
        help_text="A readable name for each subscale key (the items' constructs), in order.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_max__gt=models.F("scale_min")), name="programs_instrument_scale"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReviewItem(models.Model):
    instrument = models.ForeignKey(ReviewInstrument, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    construct = models.CharField(
        max_length=40, help_text="What it measures, e.g. reciprocity or communication."
    )
    text = models.CharField(max_length=300)
    polarity = models.CharField(
        max_length=10, choices=ItemPolarity.choices, default=ItemPolarity.STRENGTH
    )
    answered_by = models.CharField(
        max_length=10,
        choices=AnsweredBy.choices,
        default=AnsweredBy.BOTH,
        help_text="Which side of the relationship answers the item.",
    )

    class Meta:
        ordering = ("instrument", "order", "pk")

    def __str__(self) -> str:
        return self.text


class ReviewChoice(models.TextChoices):
    CONTINUE = "continue", "Continue as we are"
    ADJUST = "adjust", "Continue, but revisit our agreement"
    END = "end", "End the relationship (no fault)"


def new_token_nonce() -> str:
    return secrets.token_hex(8)


class ReviewRequest(models.Model):
    """One party's review of one relationship for one cycle (0 = end of the pilot, then 1, 2 …)."""

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="review_requests"
    )
    respondent = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="review_requests"
    )
    instrument = models.ForeignKey(ReviewInstrument, on_delete=models.PROTECT, related_name="+")
    cycle = models.PositiveSmallIntegerField()
    opens_on = models.DateField()
    closes_on = models.DateField(help_text="After this date the link no longer accepts answers.")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Part of the signed link in the email: a new nonce invalidates links sent before.
    token_nonce = models.CharField(max_length=16, default=new_token_nonce)

    class Meta:
        ordering = ("-opens_on",)
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "respondent", "cycle"], name="programs_review_once_a_cycle"
            )
        ]
        indexes = [models.Index(fields=["completed_at", "closes_on"])]

    def __str__(self) -> str:
        return f"Review {self.cycle} of {self.relationship} by {self.respondent}"


class ReviewResponse(models.Model):
    """The answers. Never shown to the other party; directors see them with the comment."""

    request = models.OneToOneField(ReviewRequest, on_delete=models.CASCADE, related_name="response")
    submitted_at = models.DateTimeField(auto_now_add=True)
    choice = models.CharField(max_length=10, choices=ReviewChoice.choices)
    score = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Mean of the answered items on the instrument's scale, warning signs reversed.",
    )
    comment_for_directors = models.TextField(blank=True, max_length=3000)

    def __str__(self) -> str:
        return f"Response to {self.request}"


class ReviewAnswer(models.Model):
    response = models.ForeignKey(ReviewResponse, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ReviewItem, on_delete=models.PROTECT, related_name="answers")
    value = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty = not sure.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="programs_answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.value}"


class RiskReason(models.TextChoices):
    LOW_SCORE = "low_score", "Review scores below the program's threshold"
    SHARP_DROP = "sharp_drop", "Review scores dropped sharply"
    WANTS_TO_END = "wants_to_end", "A party chose to end in a review"


class RelationshipRisk(models.Model):
    """A relationship flagged at risk by its reviews, until a director clears it."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="risks")
    reason = models.CharField(max_length=20, choices=RiskReason.choices)
    review = models.ForeignKey(
        ReviewResponse, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flagged_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_note = models.TextField(
        blank=True, max_length=3000, help_text="What the director found or did (directors only)."
    )

    class Meta:
        ordering = ("-flagged_at",)
        indexes = [models.Index(fields=["relationship", "cleared_at"])]

    def __str__(self) -> str:
        return f"{self.relationship} at risk: {self.reason}"
