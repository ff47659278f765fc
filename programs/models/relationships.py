"""Mentoring relationships: pairs and groups, who is in them, and their written agreement.

A `Relationship` is any mentoring arrangement — a traditional pair, a peer pair, a facilitated
peer group or a peer "mastermind" group. People are attached through `RelationshipMember`, so a
mentee's board of mentors is simply their several relationships, and groups need no special case.

The agreement is versioned: every version is kept, each party confirms a version, and the newest
version every party confirmed is the one in force (seed 001: "clear expectations, written down").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from programs.models.assessments import Goal
from programs.models.people import FacultyProfile
from programs.models.programs import Cohort, MeetingCadence, Program
from programs.models.reference import NeedArea

LONG_TEXT = 3000


class RelationshipKind(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "Traditional one-to-one"
    PEER = "peer", "Peer pair"
    FACILITATED_GROUP = "facilitated_group", "Facilitated peer group"
    PEER_GROUP = "peer_group", "Peer “mastermind” group"


GROUP_KINDS = (RelationshipKind.FACILITATED_GROUP, RelationshipKind.PEER_GROUP)
GROUP_SIZE = (3, 5)  # participants in a group, not counting a facilitator (seed 000, Table 1)


class RelationshipStage(models.TextChoices):
    PILOT = "pilot", "Pilot"
    ACTIVE = "active", "Active"
    CONCLUDING = "concluding", "Concluding"
    CONCLUDED = "concluded", "Concluded"
    ENDED = "ended", "Ended early"


OPEN_STAGES = (RelationshipStage.PILOT, RelationshipStage.ACTIVE, RelationshipStage.CONCLUDING)
CLOSED_STAGES = (RelationshipStage.CONCLUDED, RelationshipStage.ENDED)

# Hitchcock's stages (seed 000), shown to directors as help text next to our plainer names.
STAGE_LITERATURE: dict[str, str] = {
    RelationshipStage.PILOT: "Initiation stage (6–12 months in the literature): the pair gets to "
    "know each other and decides whether the fit is right.",
    RelationshipStage.ACTIVE: "Protégé stage (2–5 years): regular meetings, goals and growing "
    "independence.",
    RelationshipStage.CONCLUDING: "Separation (“break-up”) stage: the mentee becomes independent "
    "and the pair plans how to wind down.",
    RelationshipStage.CONCLUDED: "Redefinition: the relationship ends well and may become a "
    "lasting collegial friendship.",
    RelationshipStage.ENDED: "Ended before its goals were met, without fault (a no-fault ending).",
}


class RelationshipOutcome(models.TextChoices):
    CONCLUDED = "concluded", "Concluded — goals met"
    ENDED_EARLY = "ended_early", "Ended early"
    REASSIGNED = "reassigned", "Ended when a director changed the mentor (no fault)"


class RelationshipSource(models.TextChoices):
    MANUAL = "manual", "Created by a director"
    REQUEST = "request", "Mentee's request, accepted"
    MATCH_RUN = "match_run", "Published from a matching run"
    OUTSIDE = "outside", "Outside mentor added by the mentee"


class Relationship(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="relationships")
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="relationships"
    )
    kind = models.CharField(max_length=20, choices=RelationshipKind.choices)
    stage = models.CharField(
        max_length=12, choices=RelationshipStage.choices, default=RelationshipStage.PILOT
    )
    focus_area = models.ForeignKey(
        NeedArea, null=True, blank=True, on_delete=models.SET_NULL, related_name="relationships"
    )
    roles = models.JSONField(
        default=list, blank=True, help_text="The mentor roles (Tobin's seven) this is for."
    )
    is_remote = models.BooleanField(
        default=False, help_text="Meets mostly at a distance (another institution or city)."
    )
    started_on = models.DateField()
    pilot_ends_on = models.DateField(null=True, blank=True)
    # Set by the first party proposing to conclude; another party's confirmation concludes.
    concluding_proposed_by = models.ForeignKey(
        FacultyProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Confidential: only the program's directors ever see this (see access.py).
    ended_reason = models.TextField(blank=True, max_length=LONG_TEXT)
    outcome = models.CharField(
        max_length=12, choices=RelationshipOutcome.choices, blank=True, default=""
    )
    is_alumni = models.BooleanField(
        default=False, help_text="Both stay in touch as colleagues after the relationship."
    )
    source = models.CharField(max_length=12, choices=RelationshipSource.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The relationship this one continues after a reassignment; that one keeps its own flags,
    # reviews and agreement.
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="continued_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the reminders sweep when a second agreed meeting cycle passes with no meeting or
    # check-in logged; cleared as soon as one is. Dashboards filter on it ("gone quiet").
    quiet_since = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ("-started_on", "-pk")
        indexes = [models.Index(fields=["program", "stage"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(pilot_ends_on__isnull=True)
                | Q(pilot_ends_on__gt=models.F("started_on")),
                name="programs_relationship_pilot_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} in {self.program_id}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("relationship_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def is_group(self) -> bool:
        return self.kind in GROUP_KINDS

    @property
    def stage_literature(self) -> str:
        return STAGE_LITERATURE.get(self.stage, "")

    @property
    def role_labels(self) -> list[str]:
        from programs.models.reference import MentorRole

        labels = dict(MentorRole.choices)
        return [labels[r] for r in self.roles if r in labels]


class MemberSide(models.TextChoices):
    MENTEE = "mentee", "Mentee"
    MENTOR = "mentor", "Mentor"
    FACILITATOR = "facilitator", "Facilitator"
    PEER = "peer", "Peer"


GUIDING_SIDES = (MemberSide.MENTOR, MemberSide.FACILITATOR)  # count against mentor capacity
RECEIVING_SIDES = (MemberSide.MENTEE, MemberSide.PEER)  # whose board shows the relationship


class RelationshipMember(models.Model):
    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        FacultyProfile, on_delete=models.CASCADE, related_name="relationship_memberships"
    )
    side = models.CharField(max_length=12, choices=MemberSide.choices)
    joined_at = models.DateTimeField(auto_now_add=True)
    # Someone who leaves a group loses access to it; the group carries on without them.
    left_at = models.DateTimeField(null=True, blank=True)
    left_reason = models.TextField(blank=True, max_length=LONG_TEXT)  # directors only
    pilot_confirmed_at = models.DateTimeField(null=True, blank=True)
    stays_in_touch = models.BooleanField(default=False)

    class Meta:
        ordering = ("relationship", "side", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "person"], name="programs_relationshipmember_unique"
            )
        ]
        indexes = [models.Index(fields=["person", "left_at"])]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_side_display()}) in relationship {self.relationship_id}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


# --- Agreement ---------------------------------------------------------------------------------


class MenteeCommitment(models.TextChoices):
    DRIVE = "drive", "I will drive the relationship: propose meetings and follow up."
    AGENDA = "agenda", "I will bring an agenda to each meeting."
    DRAFTS = "drafts", "I will share drafts with enough notice for feedback."
    RECAP = "recap", "I will write or confirm a short recap after each meeting."
    ACTIONS = "actions", "I will keep to the action items I take on, or say early if I cannot."


class MentorCommitment(models.TextChoices):
    MEET = "meet", "I will keep to our meeting rhythm and reschedule rather than cancel."
    RESPOND = "respond", "I will answer messages within a week."
    FEEDBACK = "feedback", "I will give honest, specific feedback."
    DOORS = "doors", "I will open doors: introductions, nominations, opportunities."
    CONFIDENCE = "confidence", "I will keep what we discuss in confidence."


DEFAULT_CONFIDENTIALITY = (
    "What we discuss stays between us unless we both agree otherwise, or someone's safety is at "
    "risk. Either of us can raise a concern confidentially with the program directors."
)
DEFAULT_CREDIT = (
    "Before starting any joint work we agree who does what and the order of authors, following "
    "the ICMJE criteria. Work that grows from the mentee's own ideas is led by the mentee."
)


class Agreement(models.Model):
    relationship = models.OneToOneField(
        Relationship, on_delete=models.CASCADE, related_name="agreement"
    )
    # Optimistic concurrency: every save names the revision it started from.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Agreement of relationship {self.relationship_id}"


class AgreementVersion(models.Model):
    """One wording of the agreement. Editing a version that everyone confirmed starts a new one;
    editing a version still being agreed changes it and clears the confirmations."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    cadence_days = models.PositiveSmallIntegerField(choices=MeetingCadence.choices)
    modes = models.JSONField(default=list)
    mentee_commitments = models.JSONField(default=list, blank=True)
    draft_notice_days = models.PositiveSmallIntegerField(default=7)
    mentee_also = models.TextField(blank=True, max_length=LONG_TEXT)
    mentor_commitments = models.JSONField(default=list, blank=True)
    mentor_also = models.TextField(blank=True, max_length=LONG_TEXT)
    goals = models.ManyToManyField(Goal, blank=True, related_name="agreement_versions")
    other_goals = models.TextField(blank=True, max_length=LONG_TEXT)
    progress_measures = models.TextField(blank=True, max_length=LONG_TEXT)
    confidentiality = models.TextField(blank=True, max_length=LONG_TEXT)
    credit_and_authorship = models.TextField(blank=True, max_length=LONG_TEXT)
    review_on = models.DateField()
    edited_by = models.ForeignKey(
        FacultyProfile, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the last active member confirms this version: from then on it is in force.
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("agreement", "-number")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "number"], name="programs_agreementversion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Agreement v{self.number} of relationship {self.agreement.relationship_id}"


class AgreementConfirmation(models.Model):
    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="confirmations"
    )
    person = models.ForeignKey(FacultyProfile, on_delete=models.CASCADE, related_name="+")
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("confirmed_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["version", "person"], name="programs_agreementconfirmation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} confirmed {self.version}"
