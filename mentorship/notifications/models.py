"""The send ledger and people's notification preferences.

Every email the app sends is first planned as a `Notification` row whose unique key is
(recipient, kind, subject, cycle): planning the same reminder twice — beat firing twice, a task
redelivered, two workers racing — finds the existing row and sends nothing new. Rows stay in
PostgreSQL until sent, so a broker outage only delays them: the periodic sweep re-queues them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from mentorship.notifications.kinds import Delivery, Kind


def kind_choices() -> list[tuple[str, str]]:
    """The kinds, read when forms and the admin ask rather than copied into migrations.

    Kinds are added often (each feature that tells people something adds one); as a callable the
    list lives only in `kinds.Kind`, so adding a kind needs no migration that re-states them all."""
    return list(Kind.choices)


class Status(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being handed to the mail relay"
    SENT = "sent", "Sent"
    IN_DIGEST = "in_digest", "Waiting for the digest"
    DIGESTED = "digested", "Sent in a digest"
    SKIPPED = "skipped", "Not sent (switched off or no longer relevant)"
    BOUNCED = "bounced", "Undeliverable"
    FAILED = "failed", "Not delivered (refused, or kept failing for too long)"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="Empty only for account emails to an address with no account.",
    )
    to_email = models.EmailField(
        blank=True, help_text="The address, when there is no recipient account."
    )
    kind = models.CharField(max_length=30, choices=kind_choices)
    subject = models.CharField(
        max_length=80, help_text="What it is about, e.g. 'meeting:42' or 'relationship:7'."
    )
    cycle = models.CharField(
        max_length=40, help_text="Which occurrence, e.g. '24h' or '2026-11' or 'review-3'."
    )
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When a delivery task was last queued for it."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker took it to send (status 'sending')."
    )
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed attempt of the current run of failures."
    )
    # For the notification centre, recorded when it is sent or held for a digest: what the email
    # said in one line and the page it pointed to (a path, so it works on any host).
    summary = models.CharField(max_length=300, blank=True)
    link = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject", "cycle"],
                name="notifications_one_per_cycle",
            ),
            # NULLs are distinct in a unique index: rows without an account need their own key.
            models.UniqueConstraint(
                fields=["to_email", "kind", "subject", "cycle"],
                condition=models.Q(recipient__isnull=True),
                name="notifications_one_per_cycle_no_account",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["recipient", "status"]),
            # "Has this thing's notification been planned?" — the sweeps ask it in SQL.
            models.Index(fields=["subject", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} [{self.cycle}] → {self.recipient_id or self.to_email}"

    @property
    def address(self) -> str:
        return self.recipient.email if self.recipient is not None else self.to_email


class Preference(models.Model):
    """A person's choice for one kind; no row means 'as it happens'."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=kind_choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notifications_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"


class QuietHours(models.Model):
    """Hours (in the person's own time zone) when nothing is emailed; held until they end."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiet_hours"
    )
    starts = models.TimeField()
    ends = models.TimeField()

    def __str__(self) -> str:
        return f"{self.user_id}: {self.starts}–{self.ends}"


class Bounce(models.Model):
    """A permanent delivery failure: the address is not emailed again until it changes."""

    email = models.EmailField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="bounces"
    )
    code = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-at",)

    def __str__(self) -> str:
        return f"{self.email} bounced ({self.code})"


class RelayState(models.Model):
    """The mail relay as every worker sees it (one row): a circuit breaker shared through the
    database. While the relay is down or has refused our sender, workers do not spend attempts
    on every waiting message: one worker at a time probes it when `next_probe_at` comes."""

    class State(models.TextChoices):
        OK = "ok", "Sending normally"
        DOWN = "down", "The mail relay cannot be reached"
        PAUSED = "paused", "Paused: the mail relay refused our sender or messages"

    state = models.CharField(max_length=10, choices=State.choices, default=State.OK)
    since = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    next_probe_at = models.DateTimeField(null=True, blank=True)
    probes = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"relay {self.state} since {self.since}"
