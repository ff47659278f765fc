"""Reference data that institutions edit: their departments, ranks, streams, topics and the
mentoring need areas. Kept as rows, not code, because every institution names these its own way."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from programs.validators import validate_description, validate_name


class CommunicationMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    MESSAGING = "messaging", "Messaging"


class MentorRole(models.TextChoices):
    """Tobin's seven mentor roles (seed 000): one mentor rarely covers them all."""

    TEACHER = "teacher", "Teacher"
    SPONSOR = "sponsor", "Sponsor"
    ADVISOR = "advisor", "Advisor"
    AGENT = "agent", "Agent (protector)"
    ROLE_MODEL = "role_model", "Role model"
    COACH = "coach", "Coach"
    CONFIDANT = "confidant", "Confidant"


MENTOR_ROLE_HELP = {
    MentorRole.TEACHER: "Teaches the skills needed to succeed: writing, teaching, research methods.",
    MentorRole.SPONSOR: "Promotes you and opens doors: nominations, committees, introductions.",
    MentorRole.ADVISOR: "Gives career advice and helps you weigh options.",
    MentorRole.AGENT: "Acts on your behalf and protects your time and interests.",
    MentorRole.ROLE_MODEL: "Someone whose career and values you can learn from by example.",
    MentorRole.COACH: "Helps you find your own answers and build specific skills.",
    MentorRole.CONFIDANT: "A trusted person to talk to about difficulties in confidence.",
}


class OrderedName(models.Model):
    name = models.CharField(max_length=120, validators=[validate_name])
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        ordering = ("order", "name")

    def __str__(self) -> str:
        return self.name


class Institution(models.Model):
    name = models.CharField(max_length=200, unique=True, validators=[validate_name])
    short_name = models.CharField(max_length=40, blank=True, validators=[validate_name])
    email_domains = models.JSONField(
        default=list,
        blank=True,
        help_text="Email domains whose owners may sign up without an invitation, e.g. med.example.edu.",
    )
    is_home = models.BooleanField(
        default=False, help_text="The institution running this installation (others are partners)."
    )

    class Meta:
        ordering = ("-is_home", "name")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField(max_length=160, validators=[validate_name])
    head = models.ForeignKey(
        "programs.FacultyProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
        help_text="The department head holds authority over everyone in the department.",
    )

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(
                "institution", Lower("name"), name="programs_department_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Division(models.Model):
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="divisions")
    name = models.CharField(max_length=160, validators=[validate_name])
    chief = models.ForeignKey(
        "programs.FacultyProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_divisions",
        help_text="The division chief holds authority over everyone in the division.",
    )

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(
                "department", Lower("name"), name="programs_division_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department.name} — {self.name}"


class AcademicRank(OrderedName):
    """Ordered by seniority: `order` 1 is the most junior rank."""

    class Meta(OrderedName.Meta):
        constraints = [models.UniqueConstraint(Lower("name"), name="programs_rank_unique_name")]


class AcademicStream(OrderedName):
    class Meta(OrderedName.Meta):
        constraints = [models.UniqueConstraint(Lower("name"), name="programs_stream_unique_name")]


class NeedArea(OrderedName):
    """An area where faculty need mentoring (career guidance, research, promotion ...)."""

    slug = models.SlugField(max_length=60, unique=True)
    description = models.CharField(max_length=300, blank=True, validators=[validate_description])
    institution_specific = models.BooleanField(
        default=False,
        help_text="Needs that depend on knowing this institution (sponsorship, promotion) are best "
        "met by a local mentor.",
    )


class Topic(models.Model):
    """A free-form expertise or interest keyword, shared so that matching can count overlaps."""

    name = models.CharField(max_length=80)
    normalized = models.CharField(max_length=80, unique=True, editable=False)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def normalize(name: str) -> str:
        return " ".join(name.split()).casefold()
