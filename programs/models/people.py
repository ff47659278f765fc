"""Faculty members as people: their profile and the invitations that bring them in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from programs.models.reference import (
    AcademicRank,
    AcademicStream,
    Department,
    Division,
    Institution,
    Topic,
)
from programs.validators import validate_name


class Gender(models.TextChoices):
    WOMAN = "woman", "Woman"
    MAN = "man", "Man"
    NON_BINARY = "non_binary", "Non-binary"
    SELF_DESCRIBED = "self_described", "I describe myself another way"
    UNDISCLOSED = "", "Prefer not to say"


class FacultyProfile(models.Model):
    """A person in the institution: mentee, mentor, director, admin or an outside mentor."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    given_name = models.CharField(max_length=80, blank=True, validators=[validate_name])
    family_name = models.CharField(max_length=80, blank=True, validators=[validate_name])
    pronouns = models.CharField(max_length=30, blank=True)
    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.PROTECT, related_name="faculty"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="faculty"
    )
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.SET_NULL, related_name="faculty"
    )
    rank = models.ForeignKey(
        AcademicRank, null=True, blank=True, on_delete=models.PROTECT, related_name="faculty"
    )
    stream = models.ForeignKey(
        AcademicStream, null=True, blank=True, on_delete=models.PROTECT, related_name="faculty"
    )
    year_joined_faculty = models.PositiveSmallIntegerField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    location = models.CharField(max_length=120, blank=True)
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True, default="")
    gender_self_description = models.CharField(max_length=60, blank=True)
    expertise = models.ManyToManyField(Topic, blank=True, related_name="experts")
    interests = models.ManyToManyField(Topic, blank=True, related_name="interested")
    communication_modes = models.JSONField(default=list, blank=True)
    reports_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="direct_reports",
        help_text="Who this person reports to. Mentors in the reporting line are never matched.",
    )
    bio = models.TextField(blank=True, max_length=1500)
    # A square JPEG re-encoded by services.photos (no metadata) under an unguessable name, read
    # only through views.people.person_photo, which asks access who may see it.
    photo = models.FileField(upload_to="profile-photos/", blank=True, max_length=120)
    employee_id = models.CharField(
        max_length=40,
        blank=True,
        help_text="The institution's own identifier for this person (from the HR roster).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("family_name", "given_name")
        indexes = [models.Index(fields=["family_name", "given_name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "employee_id"],
                condition=~models.Q(employee_id=""),
                name="programs_profile_unique_employee_id",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = f"{self.given_name} {self.family_name}".strip()
        return full or self.user.email

    @property
    def initials(self) -> str:
        """For the avatar shown when there is no photo ("ML" for Maya Lee)."""
        return "".join(n[:1] for n in (self.given_name, self.family_name) if n).upper() or "?"

    @property
    def career_years(self) -> int | None:
        if self.year_joined_faculty is None:
            return None
        return max(0, timezone.now().year - self.year_joined_faculty)


class Invitation(models.Model):
    """An emailed link that lets a pre-registered person set a password and sign in.

    The link carries a signed token built from the id and `nonce`; re-sending rotates the nonce,
    which invalidates any older link without storing a secret in the database."""

    person = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True, max_length=1000)
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )
