"""When reminders and reviews are due: pure date arithmetic, no database.

The sweep (`services/reminders.py`) reads the database in a few set-based queries and asks these
functions what is due; tests and benches call them directly. Every result is an aware UTC
datetime or a date; "the morning of a day" is 09:00 on the recipient's own wall clock, so a nudge
arrives at the start of their working day whatever their zone, also across daylight saving."""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from programs.domain.dates import add_months

REMINDER_HOUR = 9  # local time of day-based nudges (check-ins, action items, pilot, reviews)
REVIEW_OPEN_DAYS = 30  # a review link accepts answers this long after it opens
PILOT_REVIEW_LEAD_DAYS = 14  # the end-of-pilot review opens this long before the pilot ends
CHASE_AFTER_DAYS = (7, 14)  # two reminders for an unanswered review, then we stop
NUDGED_CYCLES = 2  # members are nudged for the first two missed cycles, not after
QUIET_AFTER_CYCLES = 2  # directors hear about a relationship once two cycles are missed


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@functools.lru_cache(maxsize=65536)
def morning_of(day: date, tz_name: str | None, hour: int = REMINDER_HOUR) -> datetime:
    """`hour`:00 on `day` in the zone, as UTC. A wall-clock time skipped by a daylight-saving
    jump is read as the equivalent later instant (zoneinfo's fold=0 rule)."""
    local = datetime.combine(day, time(hour, 0), tzinfo=zone(tz_name))
    return local.astimezone(UTC)


# --- Meetings ----------------------------------------------------------------------------------


def upcoming_reminder_at(starts_at: datetime, hours: int) -> datetime:
    """A fixed span before the meeting (24 h by default): the same instant for everyone."""
    return starts_at - timedelta(hours=hours)


def agenda_nudge_at(starts_at: datetime, days: int) -> datetime:
    return starts_at - timedelta(days=days)


def log_nudge_at(ends_at: datetime, days: int) -> datetime:
    """If nobody logged the meeting or confirmed its recap this long after it ended."""
    return ends_at + timedelta(days=days)


# --- Check-ins ---------------------------------------------------------------------------------


def missed_cycles(*, anchor: date, cadence_days: int, grace_days: int, today: date) -> int:
    """How many agreed meeting cycles have passed without a meeting since `anchor` (the last
    meeting or check-in, else the start of the relationship). The first counts once the
    cadence plus the grace period has passed; each further cadence adds one."""
    cadence_days = max(cadence_days, 1)
    late = (today - anchor).days - grace_days
    return 0 if late < cadence_days else late // cadence_days


def missed_cycle_day(*, anchor: date, cadence_days: int, grace_days: int, cycle: int) -> date:
    """The day the `cycle`-th missed cycle begins (cycle >= 1)."""
    return anchor + timedelta(days=grace_days + cycle * max(cadence_days, 1))


# --- Reviews -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewWindow:
    cycle: int  # 0 = end of the pilot, then 1, 2 … every review cadence
    opens_on: date
    closes_on: date


def review_window(
    *, cycle: int, pilot_ends_on: date | None, started_on: date, cadence_months: int
) -> ReviewWindow | None:
    if cycle == 0:
        if pilot_ends_on is None:
            return None
        opens = pilot_ends_on - timedelta(days=PILOT_REVIEW_LEAD_DAYS)
    else:
        base = pilot_ends_on or started_on
        opens = add_months(base, cycle * max(cadence_months, 1))
    return ReviewWindow(cycle, opens, opens + timedelta(days=REVIEW_OPEN_DAYS))


@functools.lru_cache(maxsize=65536)
def current_review(
    *, pilot_ends_on: date | None, started_on: date, cadence_months: int, today: date
) -> ReviewWindow | None:
    """The review whose window contains `today`, if any. Only the current one: a relationship
    that existed before reviews were switched on is not sent the reviews it "missed"."""
    cadence_months = max(cadence_months, 1)
    first = review_window(
        cycle=0, pilot_ends_on=pilot_ends_on, started_on=started_on, cadence_months=cadence_months
    )
    if first is not None and first.opens_on <= today <= first.closes_on:
        return first
    base = pilot_ends_on or started_on
    if today < base:
        return None
    months = (today.year - base.year) * 12 + today.month - base.month
    # The cycle opening on or before today is the latest candidate; check it and the one before
    # (a window runs 30 days, so it can straddle a month boundary).
    for cycle in (
        months // cadence_months,
        months // cadence_months - 1,
        months // cadence_months + 1,
    ):
        if cycle < 1:
            continue
        window = review_window(
            cycle=cycle,
            pilot_ends_on=pilot_ends_on,
            started_on=started_on,
            cadence_months=cadence_months,
        )
        if window is not None and window.opens_on <= today <= window.closes_on:
            return window
    return None


def chase_days(opens_on: date) -> list[date]:
    return [opens_on + timedelta(days=d) for d in CHASE_AFTER_DAYS]
