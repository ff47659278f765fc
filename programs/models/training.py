"""Mentor training and recognition kept by the program: training sessions (a workshop of a
curriculum, with its hours) and who attended, and awards and nominations. Mentors' own
self-reported training stays in `assessments.MentorTraining`."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from programs.models.people import FacultyProfile
from programs.models.programs import Program
from programs.validators import validate_name


class TrainingSession(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="training_sessions")
    title = models.CharField(max_length=160, validators=[validate_name])
    held_on = models.DateField()
    curriculum = models.CharField(
        max_length=160,
        blank=True,
        validators=[validate_name],
        help_text="The series this session belongs to, e.g. “Mentor development workshops”.",
    )
    hours = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("40"))],
        help_text="Length of the session in hours (0.5 to 40).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-held_on", "-pk")

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on})"


class TrainingAttendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    person = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="training_attendances"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("session", "person")
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="programs_attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.person} at {self.session}"


class RecognitionKind(models.TextChoices):
    AWARD = "award", "Award"
    NOMINATION = "nomination", "Nomination"


class MentorRecognition(models.Model):
    """An award a mentor received, or a nomination put forward, recorded by a director."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="recognitions")
    person = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="recognitions"
    )
    kind = models.CharField(max_length=12, choices=RecognitionKind.choices)
    title = models.CharField(max_length=160, validators=[validate_name])
    awarded_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-awarded_on", "-pk")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"
