"""Planning and delivering notifications through the send ledger.

- `notification_plan` / `notifications_plan_many` record that something should be sent; the
  unique key makes them idempotent, so callers (sweeps, services) may call them as often as they
  like.
- `notification_deliver` sends one planned row at most once: it locks the row, re-checks its
  status, applies the person's preferences and quiet hours, renders and sends. A worker killed
  before the commit leaves the row pending, so it is sent after restart (at-least-once, with the
  duplicate window limited to a crash between the SMTP answer and the commit).
- Transient SMTP/connection errors are recorded and raised as `TransientDeliveryError` for the task
  to retry with backoff; permanent refusals (5xx) are recorded as bounces and never retried.
"""

from __future__ import annotations

import logging
import smtplib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from mentorship.bulk import insert_ignoring_conflicts
from mentorship.emails import absolute_url, build_email
from mentorship.notifications.kinds import BUILDERS, Delivery, Kind, register, spec
from mentorship.notifications.models import Bounce, Notification, Preference, QuietHours, Status
from mentorship.queue import enqueue_on_commit

logger = logging.getLogger(__name__)
User = get_user_model()

MAX_ATTEMPTS = 6
REQUEUE_AFTER = timedelta(minutes=10)
UNSUBSCRIBE_SALT = "notifications.unsubscribe"
DIGEST_HOUR = 7


class TransientDeliveryError(Exception):
    """The mail server could not take the message now; try again later."""


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
    because the broker was down or emptied. Marks them queued."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(status=Status.PENDING, due_at__lte=now)
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
def preference_set(*, user: Any, kind: str, delivery: str) -> None:
    if kind not in Kind.values or delivery not in Delivery.values:
        raise ValueError(f"Unknown kind or delivery: {kind}, {delivery}")
    if spec(kind).mandatory and delivery != Delivery.IMMEDIATE:
        raise ValueError("Directors cannot switch off concern alerts.")
    Preference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": delivery})


@transaction.atomic
def quiet_hours_set(*, user: Any, starts: time | None, ends: time | None) -> None:
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
    """Send one planned notification if it is still pending and due. Returns what happened."""
    now = now or timezone.now()
    transient: Exception | None = None
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
        context = _context(n)
        if context is None:
            _finish(n, Status.SKIPPED, "no longer relevant")
            return "skipped: no longer relevant"
        _remember(n, context)
        n.attempts += 1
        try:
            _message(n, context).send()
        except smtplib.SMTPRecipientsRefused as e:
            code, message = _first_refusal(e)
            return _bounce_or_retry(n, code, message)
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as e:
            return _bounce_or_retry(n, e.smtp_code, str(e.smtp_error))
        except (smtplib.SMTPException, OSError) as e:
            transient = e
            n.last_error = f"{type(e).__name__}: {e}"[:300]
            if n.attempts >= MAX_ATTEMPTS:
                _finish(n, Status.FAILED, n.last_error)
                return "failed after retries"
            n.save(update_fields=["attempts", "last_error"])
        else:
            n.status, n.sent_at = Status.SENT, timezone.now()
            n.save(update_fields=["status", "sent_at", "attempts", "summary", "link"])
            if n.kind == Kind.DIGEST:
                Notification.objects.filter(pk__in=context["included_ids"]).update(
                    status=Status.DIGESTED, sent_at=n.sent_at
                )
            return "sent"
    raise TransientDeliveryError(str(transient))


def _route(n: Notification, now: datetime) -> str | None:
    """Apply preferences, bounces and quiet hours; None means send it now."""
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
    if Bounce.objects.filter(email__iexact=n.recipient.email, cleared_at__isnull=True).exists():
        _finish(n, Status.SKIPPED, "the address bounced before")
        return "skipped: address bounced"
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
    message = build_email(to=n.recipient.email, template=n.kind, context=ctx)
    message.extra_headers.update(
        {
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # Which ledger row this is: support can trace an email, tests can count duplicates.
            "X-Mentorship-Notification": str(n.pk),
        }
    )
    return message


def _remember(n: Notification, context: dict[str, Any]) -> None:
    """Keep the one-line summary and the page it links to for the notification centre. Only
    links to this site are kept, as paths: the centre must never send anyone elsewhere."""
    n.summary = str(context.get("summary") or dict(Kind.choices).get(n.kind, ""))[:300]
    url = str(context.get("url") or "")
    path = url.removeprefix(settings.SITE_URL)
    n.link = path[:500] if path.startswith("/") and not path.startswith("//") else ""


def _finish(n: Notification, status: str, note: str) -> None:
    n.status, n.last_error = status, note[:300]
    n.save(update_fields=["status", "last_error", "attempts", "due_at", "summary", "link"])


def _first_refusal(error: smtplib.SMTPRecipientsRefused) -> tuple[int | None, str]:
    for code, message in error.recipients.values():
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return code, text
    return None, str(error)


def _bounce_or_retry(n: Notification, code: int | None, message: Any) -> str:
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    if code is not None and 500 <= code < 600:
        bounce = Bounce.objects.create(
            email=n.recipient.email, user=n.recipient, code=code, message=text[:300]
        )
        _finish(n, Status.BOUNCED, f"{code} {text}")
        _plan_bounce_alerts(n, bounce)
        return "bounced"
    # 4xx: the server asks us to try later.
    n.last_error = f"{code} {text}"[:300]
    n.save(update_fields=["attempts", "last_error"])
    raise TransientDeliveryError(n.last_error)


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
def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; anyone else's is not found (404)."""
    from django.shortcuts import get_object_or_404

    from mentorship.notifications.selectors import notifications_for

    n = get_object_or_404(notifications_for(user), pk=notification_id)
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    return n


@transaction.atomic
def notifications_mark_all_read(*, user: Any) -> int:
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
