"""The mail relay as the workers see it: what a failed send means, and a circuit breaker shared by
every worker through one database row.

A failure is classified by the SMTP stage that refused and its code:
- the recipient refused with 5xx (RCPT TO): that address bounces — only that recipient is affected;
- the sender (MAIL FROM), the message (after DATA) or our credentials refused with 5xx: the relay
  is misconfigured or blocks us, which says nothing about the recipient — sending pauses and the
  admins are told;
- no connection, a timeout, a dropped connection or 421: the relay is down — the breaker opens;
- any other 4xx: this message is retried later with backoff.

While the breaker is open (relay down or paused) no message is sent except one probe per interval,
so an outage costs one attempt per interval, not one per waiting message."""

from __future__ import annotations

import random
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from django.conf import settings
from django.db.models import F, Q

from mentorship.notifications.models import RelayState


class Action(Enum):
    BOUNCE = "bounce"  # the recipient's address is refused for good
    PAUSE = "pause"  # our sender or message is refused: stop sending, tell the admins
    DOWN = "down"  # the relay is unreachable: open the breaker
    RETRY = "retry"  # try this message again later


@dataclass(frozen=True)
class Refusal:
    action: Action
    code: int | None
    text: str


def _text(message: object) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


def classify(error: BaseException) -> Refusal:
    """What a failed send means, from the exception smtplib (or the socket) raised."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(error.recipients.values()), (None, str(error)))
        text = f"{code} {_text(message)} (recipient refused)"
        permanent = code is not None and 500 <= code < 600
        return Refusal(Action.BOUNCE if permanent else Action.RETRY, code, text[:300])
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        stage = "sender" if isinstance(error, smtplib.SMTPSenderRefused) else "message"
        code = error.smtp_code
        text = f"{code} {_text(error.smtp_error)} ({stage} refused)"
        permanent = 500 <= code < 600
        return Refusal(Action.PAUSE if permanent else Action.RETRY, code, text[:300])
    if isinstance(error, smtplib.SMTPAuthenticationError):
        text = f"{error.smtp_code} {_text(error.smtp_error)} (sign-in to the relay refused)"
        return Refusal(Action.PAUSE, error.smtp_code, text[:300])
    if isinstance(error, smtplib.SMTPConnectError):
        text = f"{error.smtp_code} {_text(error.smtp_error)} (connection refused by the relay)"
        return Refusal(Action.DOWN, error.smtp_code, text[:300])
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        text = f"{code} {_text(error.smtp_error)}"[:300]
        if code == 421:
            return Refusal(Action.DOWN, code, text)
        return Refusal(Action.PAUSE if 500 <= code < 600 else Action.RETRY, code, text)
    # Connection refused, timeouts, DNS failures, a dropped connection (SMTPServerDisconnected).
    return Refusal(Action.DOWN, None, f"{type(error).__name__}: {error}"[:300])


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: base × 2^(n-1), capped, then scaled by 0.5–1.0 so
    messages that failed together do not all come back together."""
    base = settings.MENTORSHIP_EMAIL_RETRY_BASE
    cap = settings.MENTORSHIP_EMAIL_RETRY_CAP
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


def lifetime() -> timedelta:
    return timedelta(seconds=settings.MENTORSHIP_EMAIL_RETRY_LIFETIME)


def _probe_interval(state: str) -> timedelta:
    if state == RelayState.State.PAUSED:
        return timedelta(seconds=settings.MENTORSHIP_EMAIL_PAUSED_PROBE_INTERVAL)
    return timedelta(seconds=settings.MENTORSHIP_EMAIL_PROBE_INTERVAL)


def relay_state() -> RelayState:
    return RelayState.objects.filter(pk=1).first() or RelayState(pk=1)


def relay_is_ok() -> bool:
    state = RelayState.objects.filter(pk=1).values_list("state", flat=True).first()
    return state in (None, RelayState.State.OK)


def relay_probe_due(now: datetime) -> bool:
    relay = relay_state()
    return relay.state == RelayState.State.OK or (relay.next_probe_at or now) <= now


def relay_may_send(now: datetime) -> bool:
    """Whether this worker may send a message now: always while the relay is fine; while the
    breaker is open, only the one worker that claims the probe when it is due. The claim is an
    UPDATE on the shared row, so two workers cannot both take the same probe."""
    relay = RelayState.objects.filter(pk=1).values("state").first()
    if relay is None or relay["state"] == RelayState.State.OK:
        return True
    state = relay["state"]
    due = Q(next_probe_at__lte=now) | Q(next_probe_at__isnull=True)
    return bool(
        RelayState.objects.filter(due, pk=1, state=state).update(
            next_probe_at=now + _probe_interval(state), probes=F("probes") + 1
        )
    )


def relay_broken(*, action: Action, reason: str, now: datetime) -> bool:
    """Open the breaker (DOWN) or pause (PAUSE). Returns True if its state changed."""
    relay, _ = RelayState.objects.select_for_update().get_or_create(pk=1)
    previous = relay.state
    state = RelayState.State.PAUSED if action == Action.PAUSE else RelayState.State.DOWN
    if relay.state == RelayState.State.PAUSED and state == RelayState.State.DOWN:
        state = RelayState.State.PAUSED  # unreachable now, but still refusing us when it answers
    if relay.state != state or relay.since is None:
        relay.since = now
    relay.state, relay.reason = state, reason[:300]
    relay.next_probe_at = now + _probe_interval(state)
    relay.save()
    return previous != state


def relay_recovered(now: datetime) -> bool:
    """A message went through: close the breaker. Returns True if it was open."""
    return bool(
        RelayState.objects.filter(pk=1)
        .exclude(state=RelayState.State.OK)
        .update(state=RelayState.State.OK, since=now, reason="", next_probe_at=None)
    )
