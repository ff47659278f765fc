"""The due-work sweep: everything reminders and reviews owe people, derived from the database.

Beat runs `due_work_sweep` every few minutes. It reads what is due in a fixed number of
set-based queries — however many relationships and meetings there are — and plans ledger rows
(`notifications_plan_many`, which ignores rows planned before); `sweep_pending` then sends them
when they fall due. Because nothing lives only in the broker, Redis being down or emptied merely
delays reminders: the next sweep after it returns finds and sends them.

Kinds, subjects and cycle keys (the ledger's unique key is recipient + kind + subject + cycle):

| kind                | subject          | cycle                       | to                        |
|---------------------|------------------|-----------------------------|---------------------------|
| meeting_upcoming    | meeting:<id>     | upcoming:s<sequence>        | every member              |
| agenda_prepare      | meeting:<id>     | agenda:s<sequence>          | mentees / peers           |
| meeting_log         | meeting:<id>     | log / confirm               | members (confirm: not the writer) |
| checkin_overdue     | relationship:<id>| overdue:<anchor>:<n>        | every member, cycles 1–2  |
| quiet_relationship  | program:<id>     | quiet:<day>                 | the program's directors (one a day, listing the pairs) |
| action_item_overdue | action:<id>      | due:<due date>              | the item's owner          |
| pilot_ending        | relationship:<id>| pilot:<pilot end>           | every member              |
| review_request      | review:<id>      | request                     | the respondent            |
| invitation_expiring | invitation:<id>  | expires:<expiry date>       | the invited person        |
| review_chase        | review:<id>      | chase-1 / chase-2           | the respondent            |

A meeting's sequence changes when it is rescheduled, so a moved meeting is reminded again and
the reminder for its old time is dropped at sending time by its context builder."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, Max, OuterRef, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from mentorship.bulk import fetch_rows, insert_ignoring_conflicts
from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification
from mentorship.notifications.services import Planned, notifications_plan_many
from programs.domain.figures import is_quiet
from programs.domain.reminders import (
    NUDGED_CYCLES,
    agenda_nudge_at,
    chase_days,
    current_review,
    log_nudge_at,
    missed_cycle_day,
    missed_cycles,
    morning_of,
    upcoming_reminder_at,
)
from programs.models import (
    MET_STATUSES,
    OPEN_STAGES,
    RECEIVING_SIDES,
    ActionItem,
    ActionItemStatus,
    AgendaItem,
    AgreementVersion,
    Invitation,
    Meeting,
    MeetingStatus,
    Membership,
    Program,
    Relationship,
    RelationshipMember,
    RelationshipStage,
    ReviewInstrument,
    ReviewRequest,
    Role,
)
from programs.models.reviews import new_token_nonce

# Plan rows this far ahead of their due time, so that `sweep_pending` (every minute) sends them
# on the minute; the sweep itself may run every few minutes.
LOOKAHEAD = timedelta(hours=1)
# Nudges about the past stop being useful after a while (and must not flood people the first
# time the sweep runs over old data): meetings to log, action items overdue.
LOG_STALE_DAYS = 14
ACTION_STALE_DAYS = 14
# At most this many ledger rows per sweep (a few seconds of writing); a backlog is planned over
# the next sweeps, the time-critical kinds first.
MAX_PLANNED_PER_SWEEP = 10_000
URGENCY: dict[str, int] = {
    Kind.MEETING_UPCOMING: 0,
    Kind.AGENDA_PREPARE: 1,
    Kind.QUIET_RELATIONSHIP: 2,
    Kind.REVIEW_REQUEST: 3,
    Kind.PILOT_ENDING: 4,
}
SWEEP_LOCK = 6_006_006  # PostgreSQL advisory lock: one sweep at a time, even if beat fires twice


logger = logging.getLogger(__name__)
# Remind an invited person who has not accepted this long before their link stops working.
INVITATION_WARNING = timedelta(days=3)


@dataclass
class SweepResult:
    planned: dict[str, int] = field(default_factory=dict)  # new ledger rows offered, by kind
    review_requests: int = 0
    quiet_flagged: int = 0
    quiet_cleared: int = 0
    skipped: bool = False  # another sweep held the lock
    backlog: int = 0  # due rows left for the next sweep (over MAX_PLANNED_PER_SWEEP)
    seconds_reading: float = 0.0  # finding what is due (everything before writing)
    seconds: float = 0.0  # the whole sweep, writing and committing included

    @property
    def total(self) -> int:
        return sum(self.planned.values())


@dataclass(frozen=True)
class ProgramRules:
    upcoming_hours: int
    agenda_days: int
    log_days: int
    grace_days: int
    pilot_days: int
    cadence_days: int
    review_months: int
    instrument_id: int | None


class Member(NamedTuple):
    person_id: int
    user_id: int
    time_zone: str
    side: str


# --- The sweep ---------------------------------------------------------------------------------


def due_work_sweep(*, now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    started = time.perf_counter()
    with transaction.atomic():
        if not _lock():
            result.skipped = True
            logger.info("Due-work sweep: skipped, another sweep holds the lock")
            return result
        rules = _program_rules()
        planned: list[Planned] = []
        planned += _meeting_reminders(now, rules)
        planned += _log_nudges(now, rules)
        planned += _action_items(now)
        relationships = _open_relationships(now)
        members = _members_of(_needing_members(now, rules, relationships))
        directors = _directors_by_program()
        planned += _checkins(now, rules, relationships, members, directors, result)
        planned += _pilot_endings(now, rules, relationships, members)
        result.review_requests = _open_reviews(now, rules, relationships, members)
        planned += _review_notices(now)
        planned += _invitations_expiring(now)
        fresh = _not_planned_before(planned)
        if len(fresh) > MAX_PLANNED_PER_SWEEP:
            # A backlog (the first sweep over old data, a long outage): plan the most urgent
            # part now; the rest is found again by the next sweep, minutes later. Quiet alerts
            # (one per director and day) go with the flags this sweep sets: never held back.
            fresh.sort(key=lambda p: (URGENCY.get(p.kind, 9), p.due_at))
            kept = [p for p in fresh if p.kind == Kind.QUIET_RELATIONSHIP]
            rest = [p for p in fresh if p.kind != Kind.QUIET_RELATIONSHIP]
            result.backlog = max(len(rest) - MAX_PLANNED_PER_SWEEP, 0)
            fresh = kept + rest[:MAX_PLANNED_PER_SWEEP]
        result.seconds_reading = time.perf_counter() - started
        # One statement on PostgreSQL (no batch limit), so the query count stays fixed.
        notifications_plan_many(fresh, batch_size=_batch())
        for p in fresh:
            result.planned[p.kind] = result.planned.get(p.kind, 0) + 1
    result.seconds = time.perf_counter() - started
    _log(result)
    return result


def _log(result: SweepResult) -> None:
    by_kind = ", ".join(f"{kind} {n}" for kind, n in sorted(result.planned.items())) or "nothing"
    logger.info(
        "Due-work sweep: planned %d (%s); %d review requests opened; quiet flagged %d, "
        "cleared %d; %d left for the next sweep; %.2fs",
        result.total,
        by_kind,
        result.review_requests,
        result.quiet_flagged,
        result.quiet_cleared,
        result.backlog,
        result.seconds,
    )


def _lock() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SWEEP_LOCK])
        if not cursor.fetchone()[0]:
            return False
        # These are big but simple scans; compiling them (PostgreSQL's JIT) costs more than it
        # saves.
        cursor.execute("SET LOCAL jit = off")
    return True


def _batch() -> int | None:
    return None if connection.vendor == "postgresql" else 500


def _program_rules() -> dict[int, ProgramRules]:
    active = set(ReviewInstrument.objects.filter(is_active=True).values_list("pk", flat=True))
    return {
        row[0]: ProgramRules(*row[1:8], row[8] if row[8] in active else None)
        for row in Program.objects.values_list(
            "pk",
            "upcoming_reminder_hours",
            "agenda_reminder_days",
            "log_reminder_days",
            "checkin_grace_days",
            "pilot_reminder_days",
            "meeting_cadence_days",
            "review_cadence_months",
            "review_instrument_id",
        )
    }


def _directors_by_program() -> dict[int, set[tuple[int, str]]]:
    """Each program's directors as (user id, time zone)."""
    directors: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for program_id, user_id, tz in Membership.objects.filter(
        role=Role.DIRECTOR, person__user__is_active=True
    ).values_list("program_id", "person__user_id", "person__time_zone"):
        directors[program_id].add((user_id, tz))
    return directors


def _planned(kind: str, prefix: str, cycle: str | None = None, pk: str = "pk") -> Exists:
    """Whether the ledger already holds `kind` for this object (and cycle), for any recipient:
    a thing's recipients are always planned together, in one statement. Uses the ledger's
    (subject, kind) index."""
    rows = Notification.objects.filter(
        kind=kind, subject=Concat(Value(prefix), Cast(OuterRef(pk), CharField()))
    )
    return Exists(rows.filter(cycle=cycle) if cycle is not None else rows)


def _not_planned_before(planned: list[Planned]) -> list[Planned]:
    """Drop rows the ledger already holds (one query), so a steady-state sweep writes nothing.
    Rows planned by a racing sweep in between are still caught by the unique key."""
    if not planned:
        return []
    earliest: dict[str, datetime] = {}
    for p in planned:
        due = p.due_at or timezone.now()
        if p.kind not in earliest or due < earliest[p.kind]:
            earliest[p.kind] = due
    condition = Q()
    for kind, due in earliest.items():
        # Quiet hours only ever move a row's due time later, never earlier.
        condition |= Q(kind=kind, due_at__gte=due - timedelta(minutes=1))
    existing = set(
        Notification.objects.filter(condition).values_list(
            "recipient_id", "kind", "subject", "cycle"
        )
    )
    seen: set[tuple[int, str, str, str]] = set()
    fresh = []
    for p in planned:
        key = (p.recipient_id, p.kind, p.subject, p.cycle)
        if key not in existing and key not in seen:
            seen.add(key)
            fresh.append(p)
    return fresh


# --- Meetings ----------------------------------------------------------------------------------

MEMBER_FIELDS = (
    "relationship__members__person_id",
    "relationship__members__person__user_id",
    "relationship__members__person__time_zone",
    "relationship__members__side",
    "relationship__members__left_at",
)


def _meeting_reminders(now: datetime, rules: dict[int, ProgramRules]) -> list[Planned]:
    """Upcoming meeting (everyone) and prepare-the-agenda (mentees) reminders."""
    if not rules:
        return []
    reach = max(max(r.upcoming_hours * 3600, r.agenda_days * 86400) for r in rules.values())
    window = Q(status=MeetingStatus.SCHEDULED, starts_at__gt=now)
    window &= Q(starts_at__lte=now + timedelta(seconds=reach) + LOOKAHEAD)
    window &= Q(relationship__stage__in=OPEN_STAGES)
    with_agenda = set(
        AgendaItem.objects.filter(meeting__in=Meeting.objects.filter(window).values("pk"))
        .values_list("meeting_id", flat=True)
        .distinct()
    )
    rows = fetch_rows(
        Meeting.objects.filter(window)
        .order_by()
        .values_list("pk", "starts_at", "sequence", "relationship__program_id", *MEMBER_FIELDS)
    )
    horizon = now + LOOKAHEAD
    planned = []
    for pk, starts_at, sequence, program_id, _person, user_id, _tz, side, left_at in rows:
        if left_at is not None or user_id is None:
            continue
        rule = rules[program_id]
        subject = f"meeting:{pk}"
        due = upcoming_reminder_at(starts_at, rule.upcoming_hours)
        if due <= horizon:
            planned.append(
                Planned(
                    user_id,
                    Kind.MEETING_UPCOMING,
                    subject,
                    f"upcoming:s{sequence}",
                    due,
                    program_id,
                )
            )
        due = agenda_nudge_at(starts_at, rule.agenda_days)
        if side in RECEIVING_SIDES and pk not in with_agenda and due <= horizon:
            planned.append(
                Planned(
                    user_id, Kind.AGENDA_PREPARE, subject, f"agenda:s{sequence}", due, program_id
                )
            )
    return planned


def _log_nudges(now: datetime, rules: dict[int, ProgramRules]) -> list[Planned]:
    """Log the meeting / write its recap (nobody did), or confirm the recap someone wrote."""
    if not rules:
        return []
    shortest = min(r.log_days for r in rules.values())
    rows = fetch_rows(
        Meeting.objects.filter(
            status__in=[MeetingStatus.SCHEDULED, MeetingStatus.HELD],
            starts_at__gte=now - timedelta(days=LOG_STALE_DAYS + 1),
            starts_at__lte=now - timedelta(days=shortest) + LOOKAHEAD,
            relationship__stage__in=OPEN_STAGES,
        )
        # Already asked (the ledger holds it): the sweep need not look again.
        .filter(
            Q(recap__isnull=True, recap__confirmed_at__isnull=True)
            & ~_planned(Kind.MEETING_LOG, "meeting:", "log")
            | Q(recap__isnull=False, recap__confirmed_at__isnull=True)
            & ~_planned(Kind.MEETING_LOG, "meeting:", "confirm")
        )
        .order_by()
        .values_list(
            "pk",
            "starts_at",
            "duration_minutes",
            "relationship__program_id",
            "recap__written_by_id",
            "recap__confirmed_at",
            *MEMBER_FIELDS,
        )
    )
    horizon, stale = now + LOOKAHEAD, now - timedelta(days=LOG_STALE_DAYS)
    planned = []
    for (
        pk,
        starts_at,
        minutes,
        program_id,
        writer,
        confirmed,
        person,
        user_id,
        _tz,
        _side,
        left_at,
    ) in rows:
        if left_at is not None or user_id is None or confirmed is not None:
            continue
        due = log_nudge_at(starts_at + timedelta(minutes=minutes), rules[program_id].log_days)
        if not stale <= due <= horizon:
            continue
        if writer is None:
            planned.append(
                Planned(user_id, Kind.MEETING_LOG, f"meeting:{pk}", "log", due, program_id)
            )
        elif writer != person:
            planned.append(
                Planned(user_id, Kind.MEETING_LOG, f"meeting:{pk}", "confirm", due, program_id)
            )
    return planned


def _action_items(now: datetime) -> list[Planned]:
    """The morning after an item's due date, in its owner's zone."""
    today = now.date()
    rows = fetch_rows(
        ActionItem.objects.filter(
            status=ActionItemStatus.OPEN,
            due_on__gte=today - timedelta(days=ACTION_STALE_DAYS + 1),
            due_on__lte=today,
            relationship__stage__in=OPEN_STAGES,
        )
        .exclude(_planned(Kind.ACTION_ITEM_OVERDUE, "action:"))
        .order_by()
        .values_list(
            "pk", "due_on", "owner__user_id", "owner__time_zone", "relationship__program_id"
        )
    )
    planned = []
    for pk, due_on, user_id, tz, program_id in rows:
        due = morning_of(due_on + timedelta(days=1), tz)
        if due <= now + LOOKAHEAD:
            planned.append(
                Planned(
                    user_id,
                    Kind.ACTION_ITEM_OVERDUE,
                    f"action:{pk}",
                    f"due:{due_on.isoformat()}",
                    due,
                    program_id,
                )
            )
    return planned


# --- Relationships -----------------------------------------------------------------------------


class OpenRelationship(NamedTuple):
    pk: int
    program_id: int
    stage: str
    started_on: date
    pilot_ends_on: date | None
    quiet_since: date | None
    last_met: date | None
    agreed_cadence: int | None
    has_upcoming: bool


def _open_relationships(now: datetime) -> list[OpenRelationship]:
    """Every open relationship with its last meeting, agreed cadence and whether a meeting is
    booked: three queries — the relationships, one GROUP BY over meetings, the confirmed
    agreement versions — joined here by id."""
    meetings: dict[int, tuple[datetime | None, int]] = {
        relationship_id: (last, upcoming)
        for relationship_id, last, upcoming in fetch_rows(
            Meeting.objects.order_by()
            .values("relationship_id")
            .annotate(
                last=Max("starts_at", filter=Q(status__in=MET_STATUSES, starts_at__lte=now)),
                upcoming=Count("pk", filter=Q(status=MeetingStatus.SCHEDULED, starts_at__gt=now)),
            )
            .values_list("relationship_id", "last", "upcoming")
        )
    }
    cadence: dict[int, tuple[int, int]] = {}
    for relationship_id, number, days in fetch_rows(
        AgreementVersion.objects.filter(confirmed_at__isnull=False)
        .order_by()
        .values_list("agreement__relationship_id", "number", "cadence_days")
    ):
        if relationship_id not in cadence or number > cadence[relationship_id][0]:
            cadence[relationship_id] = (number, days)
    result = []
    for pk, program, stage, started, pilot, quiet in fetch_rows(
        Relationship.objects.filter(stage__in=OPEN_STAGES)
        .order_by()
        .values_list("pk", "program_id", "stage", "started_on", "pilot_ends_on", "quiet_since")
    ):
        last, upcoming = meetings.get(pk, (None, 0))
        agreed = cadence.get(pk)
        result.append(
            OpenRelationship(
                pk,
                program,
                stage,
                started,
                pilot,
                quiet,
                last.date() if last else None,
                agreed[1] if agreed else None,
                upcoming > 0,
            )
        )
    return result


def _needing_members(
    now: datetime, rules: dict[int, ProgramRules], relationships: list[OpenRelationship]
) -> list[int]:
    """The relationships whose members the sweep may write to: a check-in cycle missed (or
    the quiet flag about to change), the pilot ending, a review window open. Most need
    nothing, so only these members are read."""
    today, tomorrow = now.date(), now.date() + timedelta(days=1)
    needed = []
    for r in relationships:
        rule = rules[r.program_id]
        missed = missed_cycles(
            anchor=checkin_anchor(r),
            cadence_days=r.agreed_cadence or rule.cadence_days,
            grace_days=rule.grace_days,
            today=tomorrow,
        )
        if (
            (missed and not r.has_upcoming)
            or (
                r.stage == RelationshipStage.PILOT
                and r.pilot_ends_on is not None
                and r.pilot_ends_on >= today
                and r.pilot_ends_on - timedelta(days=rule.pilot_days) <= tomorrow
            )
            or current_review(
                pilot_ends_on=r.pilot_ends_on,
                started_on=r.started_on,
                cadence_months=rule.review_months,
                today=today,
            )
            is not None
        ):
            needed.append(r.pk)
    return needed


def _members_of(relationship_ids: list[int]) -> dict[int, list[Member]]:
    """Active members of these relationships: on PostgreSQL the ids go as one array."""
    members: dict[int, list[Member]] = defaultdict(list)
    if not relationship_ids:
        return members
    rows = RelationshipMember.objects.filter(left_at__isnull=True)
    if connection.vendor == "postgresql":
        rows = rows.filter(
            relationship_id__in=RawSQL("SELECT unnest(%s::bigint[])", [relationship_ids])
        )
    elif len(relationship_ids) <= 500:
        rows = rows.filter(relationship_id__in=relationship_ids)
    else:  # SQLite (the local demo) caps a statement's parameters; it is small anyway
        rows = rows.filter(relationship__stage__in=OPEN_STAGES)
    wanted = set(relationship_ids)
    for relationship_id, person_id, user_id, tz, side in fetch_rows(
        rows.order_by().values_list(
            "relationship_id", "person_id", "person__user_id", "person__time_zone", "side"
        )
    ):
        if relationship_id in wanted:
            members[relationship_id].append(Member(person_id, user_id, tz, side))
    return members


def checkin_anchor(relationship: OpenRelationship) -> date:
    """Cycles count from the last meeting or check-in, but never from before the start (a
    restarted pair's older meetings do not make it overdue at once) — as `selectors.figures`."""
    if relationship.last_met is None:
        return relationship.started_on
    return max(relationship.last_met, relationship.started_on)


def _checkins(
    now: datetime,
    rules: dict[int, ProgramRules],
    relationships: list[OpenRelationship],
    members: dict[int, list[Member]],
    directors: dict[int, set[tuple[int, str]]],
    result: SweepResult,
) -> list[Planned]:
    """A friendly nudge to everyone for the first and second missed cycle (unless a meeting is
    booked); at the second, the relationship is flagged quiet and its directors are told."""
    today, horizon = now.date(), now + LOOKAHEAD
    planned: list[Planned] = []
    to_flag: list[int] = []
    to_clear: list[int] = []
    flagged_programs: set[int] = set()
    for r in relationships:
        rule = rules[r.program_id]
        cadence = r.agreed_cadence or rule.cadence_days
        anchor = checkin_anchor(r)
        # `quiet_since` remembers which pairs directors were told about; whether a pair is
        # quiet is the one definition every page counts with.
        quiet = is_quiet(
            anchor=anchor, cadence_days=cadence, grace_days=rule.grace_days, today=today
        )
        if quiet and r.quiet_since is None:
            to_flag.append(r.pk)
            flagged_programs.add(r.program_id)
        elif not quiet and r.quiet_since is not None:
            to_clear.append(r.pk)
        # Look one day ahead too: a zone east of UTC reaches the next morning first.
        ahead = missed_cycles(
            anchor=anchor,
            cadence_days=cadence,
            grace_days=rule.grace_days,
            today=today + timedelta(days=1),
        )
        cycle = ahead if 1 <= ahead <= NUDGED_CYCLES else 0
        if cycle == 0 or r.has_upcoming:
            continue
        day = missed_cycle_day(
            anchor=anchor, cadence_days=cadence, grace_days=rule.grace_days, cycle=cycle
        )
        for m in members.get(r.pk, ()):
            due = morning_of(day, m.time_zone)
            if due <= horizon:
                planned.append(
                    Planned(
                        m.user_id,
                        Kind.CHECKIN_OVERDUE,
                        f"relationship:{r.pk}",
                        f"overdue:{anchor.isoformat()}:{cycle}",
                        due,
                        r.program_id,
                    )
                )
    # Directors get one email per program and day listing the pairs that went quiet (the first
    # sweep over old data may flag hundreds), on the morning of that day in their own zone.
    for program_id in sorted(flagged_programs):
        for user_id, tz in sorted(directors.get(program_id, ())):
            planned.append(
                Planned(
                    user_id,
                    Kind.QUIET_RELATIONSHIP,
                    f"program:{program_id}",
                    f"quiet:{today.isoformat()}",
                    morning_of(today, tz),
                    program_id,
                )
            )
    result.quiet_flagged = _update_in_chunks(to_flag, quiet_since=today)
    result.quiet_cleared = _update_in_chunks(to_clear, quiet_since=None)
    # A relationship that closed is no longer "quiet".
    result.quiet_cleared += (
        Relationship.objects.filter(quiet_since__isnull=False)
        .exclude(stage__in=OPEN_STAGES)
        .update(quiet_since=None)
    )
    return planned


def _update_in_chunks(ids: list[int], **values: Any) -> int:
    """One UPDATE on PostgreSQL; SQLite (the local demo) limits a statement's parameters."""
    size = len(ids) if connection.vendor == "postgresql" else 500
    done = 0
    for start in range(0, len(ids), max(size, 1)):
        done += Relationship.objects.filter(pk__in=ids[start : start + size]).update(**values)
    return done


def _pilot_endings(
    now: datetime,
    rules: dict[int, ProgramRules],
    relationships: list[OpenRelationship],
    members: dict[int, list[Member]],
) -> list[Planned]:
    today, horizon = now.date(), now + LOOKAHEAD
    planned = []
    for r in relationships:
        if r.stage != RelationshipStage.PILOT or r.pilot_ends_on is None or r.pilot_ends_on < today:
            continue
        day = r.pilot_ends_on - timedelta(days=rules[r.program_id].pilot_days)
        if day > today + timedelta(days=1):
            continue
        for m in members.get(r.pk, ()):
            due = morning_of(day, m.time_zone)
            if due <= horizon:
                planned.append(
                    Planned(
                        m.user_id,
                        Kind.PILOT_ENDING,
                        f"relationship:{r.pk}",
                        f"pilot:{r.pilot_ends_on.isoformat()}",
                        due,
                        r.program_id,
                    )
                )
    return planned


# --- Invitations ---------------------------------------------------------------------------------


def _invitations_expiring(now: datetime) -> list[Planned]:
    """Once per invitation (and per expiry date: a resent one is reminded again), the morning
    three days before it expires, in the invited person's zone."""
    rows = fetch_rows(
        Invitation.objects.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            sent_at__isnull=False,
            expires_at__gt=now,
            expires_at__lte=now + INVITATION_WARNING + timedelta(days=1),
        )
        # Few rows (a four-day window); those planned before are dropped with the rest, by key,
        # which includes the expiry date.
        .order_by()
        .values_list("pk", "expires_at", "person__user_id", "person__time_zone", "program_id")
    )
    planned = []
    for pk, expires_at, user_id, tz, program_id in rows:
        due = min(morning_of((expires_at - INVITATION_WARNING).date(), tz), expires_at)
        if due <= now + LOOKAHEAD:
            planned.append(
                Planned(
                    user_id,
                    Kind.INVITATION_EXPIRING,
                    f"invitation:{pk}",
                    f"expires:{expires_at.date().isoformat()}",
                    due,
                    program_id,
                )
            )
    return planned


# --- Reviews -----------------------------------------------------------------------------------


def _open_reviews(
    now: datetime,
    rules: dict[int, ProgramRules],
    relationships: list[OpenRelationship],
    members: dict[int, list[Member]],
) -> int:
    """Create each party's request for the review whose window is open (end of pilot, then every
    review cadence). Returns how many were new."""
    today = now.date()
    default_id = _default_instrument_id()
    existing = set(
        fetch_rows(
            ReviewRequest.objects.filter(closes_on__gte=today - timedelta(days=1))
            .order_by()
            .values_list("relationship_id", "respondent_id", "cycle")
        )
    )
    new = []
    for r in relationships:
        rule = rules[r.program_id]
        window = current_review(
            pilot_ends_on=r.pilot_ends_on,
            started_on=r.started_on,
            cadence_months=rule.review_months,
            today=today,
        )
        if window is None:
            continue
        for m in members.get(r.pk, ()):
            if (r.pk, m.person_id, window.cycle) in existing:
                continue
            new.append(
                (
                    r.pk,
                    m.person_id,
                    rule.instrument_id or default_id,
                    window.cycle,
                    window.opens_on,
                    window.closes_on,
                    new_token_nonce(),
                )
            )
    # A backlog of reviews (the first sweep over old data) is opened over several sweeps, those
    # whose window closes soonest first, like the notification backlog above: each sweep stays
    # short, and the rest are found again minutes later.
    new.sort(key=lambda row: row[5])
    new = new[:MAX_PLANNED_PER_SWEEP]
    return insert_ignoring_conflicts(
        ReviewRequest,
        [
            "relationship",
            "respondent",
            "instrument",
            "cycle",
            "opens_on",
            "closes_on",
            "token_nonce",
        ],
        new,
    )


def _default_instrument_id() -> int:
    from programs.services.reviews import default_instrument

    return default_instrument().pk


def _review_notices(now: datetime) -> list[Planned]:
    """The request on the morning its window opens, then two chases a week apart."""
    today, horizon = now.date(), now + LOOKAHEAD
    rows = fetch_rows(
        ReviewRequest.objects.filter(
            completed_at__isnull=True,
            opens_on__lte=today + timedelta(days=1),
            closes_on__gte=today,
            relationship__stage__in=OPEN_STAGES,
        )
        .annotate(
            asked=_planned(Kind.REVIEW_REQUEST, "review:", "request"),
            chased_1=_planned(Kind.REVIEW_CHASE, "review:", "chase-1"),
            chased_2=_planned(Kind.REVIEW_CHASE, "review:", "chase-2"),
        )
        .exclude(asked=True, chased_2=True)
        .order_by()
        .values_list(
            "pk",
            "opens_on",
            "closes_on",
            "created_at",
            "relationship__program_id",
            "respondent__user_id",
            "respondent__time_zone",
            "asked",
            "chased_1",
            "chased_2",
        )
    )
    planned = []
    for pk, opens_on, closes_on, created_at, program_id, user_id, tz, *done in rows:
        subject = f"review:{pk}"
        due = morning_of(opens_on, tz)
        if not done[0] and due <= horizon:
            planned.append(
                Planned(user_id, Kind.REVIEW_REQUEST, subject, "request", due, program_id)
            )
        # Chases count from when the person was first asked, even if that was late.
        start = max(opens_on, created_at.date())
        for n, day in enumerate(chase_days(start), start=1):
            due = morning_of(day, tz)
            if not done[n] and day <= closes_on and due <= horizon:
                planned.append(
                    Planned(user_id, Kind.REVIEW_CHASE, subject, f"chase-{n}", due, program_id)
                )
    return planned
