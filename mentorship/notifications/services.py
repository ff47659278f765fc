"""Planning and delivering notifications through the send ledger.

- `notification_plan` / `notifications_plan_many` record that something should be sent; the
  unique key makes them idempotent, so callers (sweeps, services) may call them as often as they
  like.
- `notification_deliver` sends one planned row: it claims the row ('sending', committed),
  applies the person's preferences and quiet hours, renders, sends, then records the outcome. A
  worker killed mid-send leaves only that row 'sending'; `notifications_reclaim` retries it.
- Failures are classified by SMTP stage and code (`relay.classify`): only a 5xx refusal of the
  recipient is a bounce; a refused sender or message pauses sending and alerts the admins; an
  unreachable relay opens a breaker shared by all workers (one probe per interval); anything
  transient is retried with exponential backoff and jitter for `MENTORSHIP_EMAIL_RETRY_LIFETIME`
  (three days), after which the row is a visible failure an admin can retry.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import smtplib
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.bulk import insert_ignoring_conflicts
from mentorship.emails import absolute_url, build_email
from mentorship.notifications.kinds import AFTER_SENT, BUILDERS, Delivery, Kind, register, spec
from mentorship.notifications.models import (
    Bounce,
    Notification,
    Preference,
    QuietHours,
    RelayState,
    Status,
)
from mentorship.notifications.relay import (
    Action,
    Refusal,
    classify,
    lifetime,
    relay_broken,
    relay_is_ok,
    relay_may_send,
    relay_probe_due,
    relay_recovered,
    relay_state,
    retry_delay,
)
from mentorship.queue import enqueue_on_commit

logger = logging.getLogger(__name__)

REQUEUE_AFTER = timedelta(minutes=10)
UNSUBSCRIBE_SALT = "notifications.unsubscribe"
DIGEST_HOUR = 7


@dataclass(frozen=True)
class Planned:
    recipient_id: int
    kind: str
    subject: str
    cycle: str
    due_at: datetime | None = None
    program_id: int | None = None
    data: dict[str, Any] | None = None


def notification_plan(
    *,
    recipient: Any,
    kind: str,
    subject: str,
    cycle: str,
    due_at: datetime | None = None,
    program: Any = None,
    data: dict[str, Any] | None = None,
) -> Notification | None:
    """Plan one notification; None if this occurrence was already planned."""
    try:
        with transaction.atomic():
            return Notification.objects.create(
                recipient=recipient,
                kind=kind,
                subject=subject,
                cycle=cycle,
                due_at=due_at or timezone.now(),
                program=program,
                data=data or {},
            )
    except IntegrityError:
        return None


def notifications_plan_many(rows: Iterable[Planned], *, batch_size: int | None = 2000) -> int:
    """Plan many notifications in bulk, ignoring those already planned; returns rows offered.

    On PostgreSQL all rows go in one statement whatever their number (see `mentorship.bulk`),
    so a sweep's query count does not grow with the work it finds."""
    now = timezone.now()
    rows = list(rows)
    if connection.vendor == "postgresql":
        return insert_ignoring_conflicts(
            Notification,
            ["recipient", "kind", "subject", "cycle", "due_at", "program", "data"],
            [
                (
                    r.recipient_id,
                    r.kind,
                    r.subject,
                    r.cycle,
                    r.due_at or now,
                    r.program_id,
                    r.data or {},
                )
                for r in rows
            ],
        )
    objects = [
        Notification(
            recipient_id=r.recipient_id,
            kind=r.kind,
            subject=r.subject,
            cycle=r.cycle,
            due_at=r.due_at or now,
            program_id=r.program_id,
            data=r.data or {},
        )
        for r in rows
    ]
    Notification.objects.bulk_create(objects, batch_size=batch_size, ignore_conflicts=True)
    return len(objects)


def notifications_send_soon(rows: Iterable[Planned]) -> list[int]:
    """Plan notifications inside the caller's transaction and queue their delivery after it
    commits. The rows commit (or roll back) with the change they announce; if the broker is
    down, `sweep_pending` sends them later. Returns the ids of rows not planned before."""
    from mentorship.notifications.tasks import deliver  # the tasks module imports this one

    now = timezone.now()
    ids = []
    for r in rows:
        try:
            with transaction.atomic():
                n = Notification.objects.create(
                    recipient_id=r.recipient_id,
                    kind=r.kind,
                    subject=r.subject,
                    cycle=r.cycle,
                    due_at=r.due_at or now,
                    program_id=r.program_id,
                    data=r.data or {},
                )
        except IntegrityError:
            continue  # this occurrence was planned before
        ids.append(n.pk)
        if n.due_at <= now:
            enqueue_on_commit(deliver, n.pk)
    return ids


def notifications_to_queue(*, now: datetime | None = None, limit: int = 5000) -> list[int]:
    """Pending, due rows that have no recent delivery task — including any whose task was lost
    because the broker was down or emptied. Marks them queued.

    Rows are locked with SKIP LOCKED while they are marked, so two sweeps running at once split
    the rows between them instead of both queuing every one. While the relay's breaker is open,
    only one row is queued, and only when a probe is due."""
    now = now or timezone.now()
    if not relay_is_ok():
        if not relay_probe_due(now):
            return []
        limit = 1
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, due_at__lte=now)
            .exclude(queued_at__gt=now - REQUEUE_AFTER)
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        Notification.objects.filter(pk__in=ids).update(queued_at=now)
    return ids


def notifications_release(ids: list[int]) -> None:
    """Their task could not be queued: make them due for the next sweep straight away."""
    Notification.objects.filter(pk__in=ids, status=Status.PENDING).update(queued_at=None)


# --- preferences ------------------------------------------------------------------------------


def delivery_for(user: Any, kind: str) -> str:
    if spec(kind).mandatory:
        return Delivery.IMMEDIATE
    chosen = Preference.objects.filter(user=user, kind=kind).values_list("delivery", flat=True)
    delivery = chosen.first() or Delivery.IMMEDIATE
    if delivery in (Delivery.DAILY, Delivery.WEEKLY) and not spec(kind).digestible:
        return Delivery.IMMEDIATE
    return delivery


@transaction.atomic
def preference_set(*, user: User, kind: str, delivery: str) -> None:
    if kind not in Kind.values or delivery not in Delivery.values:
        raise ValueError(f"Unknown kind or delivery: {kind}, {delivery}")
    if spec(kind).mandatory and delivery != Delivery.IMMEDIATE:
        raise ValueError("Directors cannot switch off concern alerts.")
    Preference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": delivery})


@transaction.atomic
def quiet_hours_set(*, user: User, starts: time | None, ends: time | None) -> None:
    if starts is None or ends is None or starts == ends:
        QuietHours.objects.filter(user=user).delete()
        return
    QuietHours.objects.update_or_create(user=user, defaults={"starts": starts, "ends": ends})


def user_time_zone(user: Any) -> zoneinfo.ZoneInfo:
    from programs.models import FacultyProfile

    name = FacultyProfile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except zoneinfo.ZoneInfoNotFoundError:
        return zoneinfo.ZoneInfo("UTC")


def quiet_until(user: Any, now: datetime) -> datetime | None:
    """If `now` falls in the user's quiet hours, the moment they end (in UTC); else None.

    Computed on local wall-clock times, so a quiet period keeps its local hours across a
    daylight-saving change."""
    quiet = QuietHours.objects.filter(user=user).first()
    if quiet is None:
        return None
    tz = user_time_zone(user)
    local = now.astimezone(tz)
    t = local.time()
    if quiet.starts < quiet.ends:
        inside = quiet.starts <= t < quiet.ends
        end_day = local.date()
    else:  # wraps past midnight, e.g. 21:00–07:00
        inside = t >= quiet.starts or t < quiet.ends
        end_day = local.date() + timedelta(days=1) if t >= quiet.starts else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, quiet.ends, tzinfo=tz).astimezone(zoneinfo.ZoneInfo("UTC"))


# --- unsubscribe ------------------------------------------------------------------------------


def unsubscribe_token(user: Any, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user: Any, kind: str) -> str:
    return absolute_url(reverse("notifications:unsubscribe", args=[unsubscribe_token(user, kind)]))


def unsubscribe_from_token(token: str) -> tuple[Any, str]:
    """The user and kind a link stands for; raises signing.BadSignature if it was altered."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    user = User.objects.get(pk=data["u"])
    if data["k"] not in Kind.values:
        raise signing.BadSignature("unknown kind")
    return user, data["k"]


# --- delivery ---------------------------------------------------------------------------------


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> str:
    """Send one planned notification if it is still pending and due. Returns what happened.

    The row is claimed (status 'sending', committed) before the relay is contacted and the
    outcome is recorded after, so no lock is held during SMTP and a worker killed mid-send leaves
    exactly that one row in 'sending' for `notifications_reclaim` to retry: a kill repeats at most
    the message in hand. Nothing here raises for a delivery failure: the ledger itself schedules
    the retry (the row's `due_at`), so a lost or exhausted task cannot drop an email."""
    now = now or timezone.now()
    claimed = _claim(notification_id, now)
    if isinstance(claimed, str):
        return claimed
    n, message, included = claimed
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as e:
        return _record_failure(n.pk, classify(e), timezone.now())
    return _record_sent(n.pk, included, timezone.now())


def _claim(notification_id: int, now: datetime) -> str | tuple[Notification, Any, list[int]]:
    with transaction.atomic():
        n = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "program")
            .filter(pk=notification_id, status=Status.PENDING)
            .first()
        )
        if n is None:
            return "not pending (already sent, or another worker has it)"
        if n.due_at > now:
            return "not due yet"
        outcome = _route(n, now)
        if outcome:
            return outcome
        if not relay_may_send(now):
            # The breaker is open: wait for the probe's verdict without spending an attempt.
            n.queued_at = None
            n.save(update_fields=["queued_at"])
            return "held: the mail relay is down or paused"
        try:
            if n.kind == Kind.ACCOUNT:
                message, included = _unseal(n), []
            else:
                context = _context(n)
                if context is None:
                    _finish(n, Status.SKIPPED, "no longer relevant")
                    return "skipped: no longer relevant"
                _remember(n, context)
                message, included = _message(n, context), context.get("included_ids", [])
        except Exception as e:  # a template or builder bug: visible and retryable, never a loop
            logger.exception("Notification %s could not be prepared", n.pk)
            _finish(n, Status.FAILED, f"Could not be prepared ({type(e).__name__}: {e})")
            return "failed: could not be prepared"
        n.status, n.claimed_at = Status.SENDING, now
        n.attempts += 1
        n.save(update_fields=["status", "claimed_at", "attempts", "summary", "link"])
    return n, message, included


def _record_sent(notification_id: int, included: list[int], now: datetime) -> str:
    from mentorship.notifications.tasks import sweep_pending

    with transaction.atomic():
        n = Notification.objects.select_for_update().get(pk=notification_id)
        n.status, n.sent_at, n.claimed_at = Status.SENT, now, None
        n.failing_since, n.last_error = None, ""
        n.data = _without_secrets(n.data)
        n.save(
            update_fields=["status", "sent_at", "claimed_at", "failing_since", "last_error", "data"]
        )
        if included:
            Notification.objects.filter(pk__in=included).update(status=Status.DIGESTED, sent_at=now)
        hook = AFTER_SENT.get(n.kind)
        if hook is not None:
            hook(n)
        if relay_recovered(now):
            # The probe went through: queue the backlog now rather than at the next sweep.
            enqueue_on_commit(sweep_pending)
    return "sent"


def _record_failure(notification_id: int, refusal: Refusal, now: datetime) -> str:
    with transaction.atomic():
        n = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .get(pk=notification_id)
        )
        n.claimed_at, n.last_error = None, refusal.text
        if refusal.action == Action.BOUNCE:
            bounce = Bounce.objects.create(
                email=n.address, user=n.recipient, code=refusal.code, message=refusal.text
            )
            n.data = _without_secrets(n.data)
            _finish(n, Status.BOUNCED, refusal.text)
            if n.recipient_id and n.kind != Kind.ACCOUNT:
                _plan_bounce_alerts(n, bounce)
            return "bounced"
        if refusal.action in (Action.DOWN, Action.PAUSE):
            changed = relay_broken(action=refusal.action, reason=refusal.text, now=now)
            if changed and refusal.action == Action.PAUSE:
                _plan_relay_alerts(now)
        n.failing_since = n.failing_since or now
        if now - n.failing_since >= lifetime():
            _finish(n, Status.FAILED, f"Gave up: {refusal.text}")
            return "failed: kept failing for the whole retry lifetime"
        n.status, n.queued_at = Status.PENDING, None
        n.due_at = now + retry_delay(n.attempts)
        n.save(
            update_fields=[
                "status",
                "claimed_at",
                "last_error",
                "failing_since",
                "queued_at",
                "due_at",
                "attempts",
            ]
        )
        return f"{refusal.action.value}: will try again"


def _route(n: Notification, now: datetime) -> str | None:
    """Apply preferences, bounces and quiet hours; None means send it now."""
    if spec(n.kind).urgent:
        return None  # someone is waiting for it (a password reset, an invitation)
    if n.kind != Kind.DIGEST:
        delivery = delivery_for(n.recipient, n.kind)
        if delivery == Delivery.OFF:
            _finish(n, Status.SKIPPED, "switched off by the recipient")
            return "skipped: switched off"
        if delivery in (Delivery.DAILY, Delivery.WEEKLY):
            context = _context(n)
            if context is None:
                _finish(n, Status.SKIPPED, "no longer relevant")
                return "skipped: no longer relevant"
            _remember(n, context)  # the notification centre lists it while it waits
            _finish(n, Status.IN_DIGEST, "")
            return "held for the digest"
    if Bounce.objects.filter(email__iexact=n.address, cleared_at__isnull=True).exists():
        _finish(n, Status.SKIPPED, "the address bounced before")
        return "skipped: address bounced"
    # Only account emails have no recipient, and they are urgent (returned above).
    assert n.recipient is not None
    later = quiet_until(n.recipient, now)
    if later is not None:
        n.due_at, n.queued_at = later, None
        n.save(update_fields=["due_at", "queued_at"])
        return "deferred: quiet hours"
    return None


def _context(n: Notification) -> dict[str, Any] | None:
    builder = BUILDERS.get(n.kind)
    if builder is None:
        logger.error("No context builder registered for %s", n.kind)
        return None
    return builder(n)


def _message(n: Notification, context: dict[str, Any]) -> Any:
    url = unsubscribe_url(n.recipient, n.kind)
    ctx = {
        "notification": n,
        "recipient": n.recipient,
        "program": n.program,
        "unsubscribe_url": url,
        "preferences_url": absolute_url(reverse("notifications:preferences")),
        "mandatory": spec(n.kind).mandatory,
        **context,
    }
    message = build_email(to=n.address, template=n.kind, context=ctx)
    headers = {
        # Which ledger row this is: support can trace an email, tests can count duplicates.
        "X-Mentorship-Notification": str(n.pk),
    }
    if not spec(n.kind).mandatory:
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.extra_headers.update(headers)
    return message


def _remember(n: Notification, context: dict[str, Any]) -> None:
    """Keep the one-line summary and the page it links to for the notification centre. Only
    links to this site are kept, as paths: the centre must never send anyone elsewhere."""
    n.summary = str(context.get("summary") or dict(Kind.choices).get(n.kind, ""))[:300]
    url = str(context.get("url") or "")
    path = url.removeprefix(settings.SITE_URL)
    n.link = path[:500] if path.startswith("/") and not path.startswith("//") else ""


def _finish(n: Notification, status: str, note: str) -> None:
    n.status, n.last_error, n.claimed_at = status, note[:300], None
    n.save(
        update_fields=[
            *("status", "last_error", "attempts", "due_at", "claimed_at", "data"),
            *("summary", "link"),
        ]
    )


def _plan_bounce_alerts(n: Notification, bounce: Bounce) -> None:
    """Tell the directors of the recipient's programs that their email is undeliverable."""
    from programs.models import Membership, Role

    director_ids = (
        Membership.objects.filter(
            role=Role.DIRECTOR,
            program__memberships__person__user=n.recipient,
        )
        .values_list("person__user_id", "program_id")
        .distinct()
    )
    notifications_plan_many(
        Planned(
            recipient_id=user_id,
            kind=Kind.BOUNCE_ALERT,
            subject=f"user:{n.recipient_id}",
            # Per bounce: an address cleared by a director that bounces again is reported again.
            cycle=f"bounce:{bounce.pk}",
            program_id=program_id,
        )
        for user_id, program_id in director_ids
    )


def _plan_relay_alerts(now: datetime) -> None:
    """Tell the institution's admins that the relay refuses our sender or messages. The email
    waits in the ledger like any other (the relay may refuse it too); the delivery-health notice
    on every page they open is the alert they cannot miss."""
    admin_ids = User.objects.filter(is_institution_admin=True, is_active=True).values_list(
        "pk", flat=True
    )
    notifications_plan_many(
        Planned(
            recipient_id=pk,
            kind=Kind.RELAY_ALERT,
            subject="relay",
            cycle=f"paused:{now:%Y%m%dT%H%M}",
        )
        for pk in admin_ids
    )


# --- sweeps: stale claims, lifetimes, queuing ---------------------------------------------------


def notifications_reclaim(*, now: datetime | None = None) -> int:
    """Rows left 'sending' by a worker that died mid-send go back to pending: the one message
    that worker had in hand may arrive twice, nothing is lost."""
    now = now or timezone.now()
    timeout = timedelta(seconds=settings.MENTORSHIP_EMAIL_CLAIM_TIMEOUT)
    return Notification.objects.filter(status=Status.SENDING, claimed_at__lt=now - timeout).update(
        status=Status.PENDING,
        claimed_at=None,
        queued_at=None,
        last_error="The worker stopped while sending it; sending again.",
    )


def notifications_expire(*, now: datetime | None = None) -> int:
    """Messages that have failed for the whole retry lifetime (or, while the relay has been
    unreachable that long, have waited for it that long) become visible failures."""
    now = now or timezone.now()
    cutoff = now - lifetime()
    pending = Notification.objects.filter(status=Status.PENDING)
    expired = pending.filter(failing_since__lt=cutoff).update(status=Status.FAILED)
    relay = relay_state()
    if relay.state != RelayState.State.OK and relay.since and relay.since < cutoff:
        expired += pending.filter(due_at__lt=cutoff).update(
            status=Status.FAILED, last_error=f"Gave up: {relay.reason}"[:300]
        )
    return expired


@transaction.atomic
def notifications_retry_failed(*, by: User, ids: Iterable[int] | None = None) -> int:
    """An admin's bulk retry: failed messages start a fresh retry lifetime, due now."""
    from programs.services.audit import audit_record

    if not getattr(by, "is_institution_admin", False):
        raise PermissionError("Only institution admins can retry failed emails.")
    failed = Notification.objects.filter(status=Status.FAILED)
    if ids is not None:
        failed = failed.filter(pk__in=list(ids))
    count = failed.update(
        status=Status.PENDING,
        attempts=0,
        failing_since=None,
        queued_at=None,
        due_at=timezone.now(),
        last_error="Retried by an admin.",
    )
    audit_record(actor=by, verb="notifications.retry_failed", target=by, count=count)
    from mentorship.notifications.tasks import sweep_pending

    enqueue_on_commit(sweep_pending)
    return count


# --- the notification centre ---------------------------------------------------------------


def notifications_record_as_sent(notifications: QuerySet[Notification]) -> int:
    """Mark planned rows sent without emailing anyone (the demo seeds them this way), keeping
    what each would have said so the notification centre lists them like real ones."""
    now, count = timezone.now(), 0
    for n in notifications.filter(status=Status.PENDING).select_related("recipient", "program"):
        _remember(n, _context(n) or {})
        n.status, n.sent_at = Status.SENT, now
        n.save(update_fields=["status", "sent_at", "summary", "link"])
        count += 1
    return count


@transaction.atomic
def relay_resume(*, by: User) -> None:
    """An admin says the relay is fixed: send normally again (a refusal pauses it again)."""
    from programs.services.audit import audit_record

    if not getattr(by, "is_institution_admin", False):
        raise PermissionError("Only institution admins can resume sending.")
    relay_recovered(timezone.now())
    audit_record(actor=by, verb="notifications.resume", target=by)
    from mentorship.notifications.tasks import sweep_pending

    enqueue_on_commit(sweep_pending)


# --- account emails (allauth): rendered in the request, sealed in the ledger ---------------------


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"ledger:{k}".encode()).digest()))
            for k in keys
        ]
    )


def account_email_send(*, message: Any, template: str) -> Notification:
    """Put an email rendered by allauth (password reset, verification, sign-in code) in the
    ledger and queue it after commit. Its links and codes are secrets, so the message is
    stored encrypted and wiped once sent. The web request never talks to the relay."""
    from mentorship.notifications.tasks import deliver

    to = message.to[0]
    recipient = User.objects.filter(email__iexact=to).first()
    payload = {
        "subject": message.subject,
        "body": message.body,
        "from": message.from_email,
        "to": list(message.to),
        "html": [c for c, mime in getattr(message, "alternatives", []) if mime == "text/html"],
        "headers": dict(message.extra_headers),
    }
    sealed = _fernet().encrypt(json.dumps(payload).encode()).decode()
    n = Notification.objects.create(
        recipient=recipient,
        to_email="" if recipient else to.lower(),
        kind=Kind.ACCOUNT,
        subject=template[:80],
        cycle=uuid.uuid4().hex,  # each request is its own email
        due_at=timezone.now(),
        data={"sealed": sealed},
    )
    enqueue_on_commit(deliver, n.pk)
    return n


def _unseal(n: Notification) -> Any:
    from django.core.mail import EmailMultiAlternatives

    payload = json.loads(_fernet().decrypt(n.data["sealed"].encode()))
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from"],
        to=payload["to"],
        headers={**payload["headers"], "X-Mentorship-Notification": str(n.pk)},
    )
    for html in payload["html"]:
        message.attach_alternative(html, "text/html")
    return message


def _without_secrets(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (data or {}).items() if k != "sealed"}


# --- delivery health ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramDelivery:
    """One program's emails that are not going out: what a director of it is told."""

    name: str
    waiting: int
    waiting_since: datetime | None
    retrying: int
    failed: int


@dataclass(frozen=True)
class DeliveryHealth:
    state: str
    state_label: str
    since: datetime | None
    reason: str
    waiting: int  # unsent and due, or failed before (between two attempts)
    waiting_since: datetime | None
    retrying: int  # waiting after at least one failed attempt
    failed: int
    last_error: str
    # Directors: their programs with emails waiting or failed, one line each.
    programs: tuple[ProgramDelivery, ...] = ()

    @property
    def relay_ok(self) -> bool:
        return self.state == RelayState.State.OK

    @property
    def has_problem(self) -> bool:
        return not self.relay_ok or self.failed > 0 or self.retrying > 0


def _waiting_q(now: datetime) -> Q:
    # An email that failed is waiting even while its next attempt is scheduled a little later:
    # otherwise the count (and the notice) would flicker between retries.
    return Q(status__in=[Status.PENDING, Status.SENDING]) & (
        Q(due_at__lte=now) | Q(failing_since__isnull=False)
    )


def _delivery_figures(now: datetime) -> dict[str, Any]:
    waiting = _waiting_q(now)
    return {
        "waiting": Count("pk", filter=waiting),
        # Since it was first due: a retried email's due time has moved on, its first failure has not.
        "waiting_since": Min(Coalesce("failing_since", "due_at"), filter=waiting),
        "retrying": Count("pk", filter=waiting & Q(failing_since__isnull=False)),
        "failed": Count("pk", filter=Q(status=Status.FAILED)),
    }


def delivery_health(
    *, now: datetime | None = None, program_ids: Iterable[int] | None = None
) -> DeliveryHealth:
    """What directors and admins are told about email delivery. Admins (`program_ids=None`):
    the whole institution. Directors: the emails of the programs they direct, program by
    program (the relay's state is everyone's). Three queries at most."""
    now = now or timezone.now()
    relay = relay_state()
    rows = Notification.objects.filter(status__in=[Status.PENDING, Status.SENDING, Status.FAILED])
    per_program: list[dict[str, Any]] = []
    if program_ids is None:
        totals = rows.aggregate(**_delivery_figures(now))
    else:
        rows = rows.filter(program_id__in=list(program_ids))
        per_program = [
            dict(row)
            for row in rows.values("program_id")
            .annotate(name=Min("program__name"), **_delivery_figures(now))
            .values("name", "waiting", "waiting_since", "retrying", "failed")
            .order_by("name")
        ]
        totals = {
            "waiting": sum(p["waiting"] for p in per_program),
            "waiting_since": min(
                (p["waiting_since"] for p in per_program if p["waiting_since"]), default=None
            ),
            "retrying": sum(p["retrying"] for p in per_program),
            "failed": sum(p["failed"] for p in per_program),
        }
    last_error = ""
    if totals["retrying"] or totals["failed"]:
        last_error = (
            rows.filter(status__in=[Status.PENDING, Status.FAILED])
            .exclude(last_error="")
            .order_by("-due_at")
            .values_list("last_error", flat=True)
            .first()
            or ""
        )
    return DeliveryHealth(
        state=relay.state,
        state_label=RelayState.State(relay.state).label,
        since=relay.since,
        reason=relay.reason,
        waiting=totals["waiting"],
        waiting_since=totals["waiting_since"],
        retrying=totals["retrying"],
        failed=totals["failed"],
        last_error=last_error,
        programs=tuple(ProgramDelivery(**p) for p in per_program if p["waiting"] or p["failed"]),
    )


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; anyone else's is not found (404)."""
    from django.shortcuts import get_object_or_404

    from mentorship.notifications.selectors import notifications_for

    n = get_object_or_404(notifications_for(user), pk=notification_id)
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    return n


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    from mentorship.notifications.selectors import notifications_for

    return notifications_for(user).filter(read_at__isnull=True).update(read_at=timezone.now())


# --- digests ----------------------------------------------------------------------------------


def digest_period(user: Any, now: datetime) -> str | None:
    """The digest a user is due now ('d2026-11-21' or 'w2026-W47'), or None."""
    delivery = Preference.objects.filter(user=user).exclude(delivery=Delivery.IMMEDIATE)
    kinds = set(delivery.values_list("delivery", flat=True))
    local = now.astimezone(user_time_zone(user))
    if local.hour < DIGEST_HOUR:
        return None
    if Delivery.DAILY in kinds:
        return f"d{local.date().isoformat()}"
    if Delivery.WEEKLY in kinds and local.weekday() == 0:
        year, week, _ = local.isocalendar()
        return f"w{year}-W{week:02d}"
    return None


def digests_to_plan(now: datetime | None = None) -> int:
    """Plan a digest for everyone with held notifications whose digest time has come."""
    now = now or timezone.now()
    users = User.objects.filter(notifications__status=Status.IN_DIGEST).distinct()
    planned = []
    for user in users:
        period = digest_period(user, now)
        if period:
            planned.append(
                Planned(
                    recipient_id=user.pk, kind=Kind.DIGEST, subject=f"user:{user.pk}", cycle=period
                )
            )
    return notifications_plan_many(planned)


def held_for_digest(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, status=Status.IN_DIGEST).order_by(
        "created_at"
    )


@register(Kind.DIGEST)
def digest_context(n: Notification) -> dict[str, Any] | None:
    """Each held notification's own builder supplies its `summary` and `url` for the list."""
    items, included = [], []
    for held in held_for_digest(n.recipient).select_related("program"):
        context = _context(held)
        included.append(held.pk)
        if context is not None:
            items.append(
                {
                    "summary": context.get("summary", held.get_kind_display()),
                    "url": context.get("url", ""),
                    "program": held.program,
                }
            )
    if not items:
        Notification.objects.filter(pk__in=included).update(status=Status.SKIPPED)
        return None
    return {"items": items, "included_ids": included, "summary": f"{len(items)} updates"}
