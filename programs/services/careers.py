"""Recording faculty careers: rank and stream changes with their effective dates, and
departures. The roster import, SSO and profile changes record ranks, streams and (roster)
departures; directors and admins record, correct and withdraw departures on the person's career
page. The outcomes figures read what they keep."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from mentorship.accounts.models import User
from programs.access import can_manage_career
from programs.models import (
    AcademicRank,
    AcademicStream,
    CareerSource,
    Departure,
    DepartureReason,
    FacultyProfile,
    RankChange,
    StreamChange,
)
from programs.services.audit import audit_record
from programs.validators import validate_plain_text, validate_sensible_date

MAX_DEPARTURE_NOTE = 1000


def _held_on(model: type[models.Model], field: str, person: FacultyProfile, day: dt.date) -> Any:
    return (
        model._default_manager.filter(person=person, effective_on__lte=day)
        .order_by("-effective_on", "-pk")
        .values_list(f"{field}_id", flat=True)
        .first()
    )


def _history_record(
    model: type[RankChange] | type[StreamChange],
    field: str,
    *,
    person: FacultyProfile,
    value: AcademicRank | AcademicStream,
    effective_on: dt.date | None,
    source: str,
    by: User | None,
) -> RankChange | StreamChange | None:
    """Keep that `person` holds `value` (a rank or a stream) from `effective_on` (today when not
    given). Nothing is written when the history already says so for that day, so re-importing a
    roster or saving a profile unchanged adds no row."""
    effective_on = effective_on or timezone.localdate()
    if effective_on > timezone.localdate() + dt.timedelta(days=366):
        raise ValidationError(
            {
                "effective_on": f"A {field} change more than a year ahead is unlikely; check the date."
            }
        )
    if _held_on(model, field, person, effective_on) == value.pk:
        return None
    change, _ = model._default_manager.get_or_create(
        person=person,
        effective_on=effective_on,
        **{field: value},
        defaults={"source": source, "recorded_by": by},
    )
    detail: dict[str, Any] = {
        field: value.name,
        "effective_on": effective_on.isoformat(),
        "source": source,
    }
    audit_record(actor=by, verb=f"{field}_change.record", target=change, **detail)
    return change


@transaction.atomic
def rank_change_record(
    *,
    person: FacultyProfile,
    rank: AcademicRank,
    effective_on: dt.date | None = None,
    source: str,
    by: User,
) -> RankChange | None:
    """Keep that `person` holds `rank` from `effective_on` (today when not given)."""
    return _history_record(  # type: ignore[return-value]
        RankChange,
        "rank",
        person=person,
        value=rank,
        effective_on=effective_on,
        source=source,
        by=by,
    )


@transaction.atomic
def stream_change_record(
    *,
    person: FacultyProfile,
    stream: AcademicStream,
    effective_on: dt.date | None = None,
    source: str,
    by: User | None,
) -> StreamChange | None:
    """Keep that `person` is in academic `stream` from `effective_on` (today when not given):
    the outcomes' comparison group matches on the stream held at a cohort's start."""
    return _history_record(  # type: ignore[return-value]
        StreamChange,
        "stream",
        person=person,
        value=stream,
        effective_on=effective_on,
        source=source,
        by=by,
    )


@transaction.atomic
def departure_record(
    *, person: FacultyProfile, left_on: dt.date, source: str, by: User
) -> Departure:
    """Keep that `person` left the faculty on `left_on`, as a roster says (idempotent for the
    same day). A departure on that day that someone withdrew stays withdrawn: re-importing the
    same file does not overrule the person who corrected it."""
    if left_on > timezone.localdate() + dt.timedelta(days=366):
        raise ValidationError(
            {"left_on": "A departure more than a year ahead is unlikely; check the date."}
        )
    departure, created = Departure.objects.get_or_create(
        person=person, left_on=left_on, defaults={"source": source, "recorded_by": by}
    )
    if created:
        audit_record(
            actor=by, verb="departure.record", target=departure, left_on=left_on.isoformat()
        )
    return departure


def _check_departure(
    *,
    person: FacultyProfile,
    left_on: dt.date,
    reason: str,
    note: str,
    departure: Departure | None,
) -> None:
    """Every problem at once, each by its field."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    try:
        validate_sensible_date(left_on)
    except ValidationError as e:
        errors.setdefault("left_on", []).extend(e.messages)
    if left_on > today:
        errors.setdefault("left_on", []).append(
            f"Record a departure once it has happened: give a date on or before today "
            f"({today:%-d %B %Y})."
        )
    joined = person.year_joined_faculty
    if joined and left_on.year < joined:
        errors.setdefault("left_on", []).append(
            f"{person.display_name} joined the faculty in {joined}; the date they left "
            "cannot be before that."
        )
    # One departure per person and day; a withdrawn one on the day is brought back by
    # recording the day again, not by moving another departure onto it.
    same_day = Departure.objects.filter(person=person, left_on=left_on)
    if departure is None:
        same_day = same_day.filter(withdrawn_at__isnull=True)
    else:
        same_day = same_day.exclude(pk=departure.pk)
    if same_day.exists():
        errors.setdefault("left_on", []).append(
            f"A departure on {left_on:%-d %B %Y} is already recorded; correct that one instead."
        )
    if reason not in DepartureReason.values or reason == DepartureReason.NOT_GIVEN:
        errors.setdefault("reason", []).append(
            "Choose why they left: retired, moved to another institution, left academic "
            "medicine, or other."
        )
    if len(note) > MAX_DEPARTURE_NOTE:
        errors.setdefault("note", []).append(
            f"Keep the note to {MAX_DEPARTURE_NOTE} characters (it has {len(note)})."
        )
    try:
        validate_plain_text(note)
    except ValidationError as e:
        errors.setdefault("note", []).extend(e.messages)
    if errors:
        raise ValidationError(errors)


def _require_manager(person: FacultyProfile, by: User) -> None:
    if not can_manage_career(by, person):
        raise ValidationError(
            "Only admins, and directors of a program this person is in, can record departures."
        )


@transaction.atomic
def departure_save(
    *,
    person: FacultyProfile,
    left_on: dt.date,
    reason: str,
    note: str = "",
    departure: Departure | None = None,
    by: User,
) -> Departure:
    """Record that `person` left the institution (or correct `departure`, one of theirs):
    the date, why (a category) and an optional note for the record. Recording a date whose
    departure was withdrawn brings that one back, corrected."""
    _require_manager(person, by)
    if departure is not None and departure.person_id != person.pk:
        raise ValidationError("That departure belongs to someone else.")
    note = note.strip()
    _check_departure(person=person, left_on=left_on, reason=reason, note=note, departure=departure)
    verb = "departure.correct"
    if departure is None:
        departure = Departure.objects.filter(person=person, left_on=left_on).first()
        verb = "departure.restore" if departure is not None else "departure.record"
    if departure is None:
        departure = Departure(person=person, source=CareerSource.RECORDED, recorded_by=by)
    detail: dict[str, Any] = {"person": person.pk, "left_on": left_on.isoformat(), "reason": reason}
    if verb == "departure.correct":
        detail |= {"was_left_on": departure.left_on.isoformat(), "was_reason": departure.reason}
    departure.left_on, departure.reason, departure.note = left_on, reason, note
    departure.withdrawn_at, departure.withdrawn_by = None, None
    departure.save()
    audit_record(actor=by, verb=verb, target=departure, **detail)
    return departure


@transaction.atomic
def departure_withdraw(*, departure: Departure, by: User) -> Departure:
    """Take back a departure recorded in error: kept for the record, counted nowhere.
    Withdrawing twice changes nothing."""
    _require_manager(departure.person, by)
    departure = Departure.objects.select_for_update().get(pk=departure.pk)
    if departure.withdrawn_at is not None:
        return departure
    departure.withdrawn_at, departure.withdrawn_by = timezone.now(), by
    departure.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_record(
        actor=by,
        verb="departure.withdraw",
        target=departure,
        person=departure.person_id,
        left_on=departure.left_on.isoformat(),
    )
    return departure


__all__ = [
    "CareerSource",
    "departure_record",
    "departure_save",
    "departure_withdraw",
    "rank_change_record",
    "stream_change_record",
]
