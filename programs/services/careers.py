"""Recording faculty careers: rank changes with their effective dates, and departures. The
roster import and profile changes call these; the outcomes figures read what they keep."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mentorship.accounts.models import User
from programs.models import AcademicRank, CareerSource, Departure, FacultyProfile, RankChange
from programs.services.audit import audit_record


def _rank_on(person: FacultyProfile, day: dt.date) -> int | None:
    latest = (
        RankChange.objects.filter(person=person, effective_on__lte=day)
        .order_by("-effective_on", "-pk")
        .values_list("rank_id", flat=True)
        .first()
    )
    return latest


@transaction.atomic
def rank_change_record(
    *,
    person: FacultyProfile,
    rank: AcademicRank,
    effective_on: dt.date | None = None,
    source: str,
    by: User,
) -> RankChange | None:
    """Keep that `person` holds `rank` from `effective_on` (today when not given). Nothing is
    written when the history already says so for that day, so re-importing a roster or saving a
    profile unchanged adds no row."""
    effective_on = effective_on or timezone.localdate()
    if effective_on > timezone.localdate() + dt.timedelta(days=366):
        raise ValidationError(
            {"effective_on": "A rank change more than a year ahead is unlikely; check the date."}
        )
    if _rank_on(person, effective_on) == rank.pk:
        return None
    change, _ = RankChange.objects.get_or_create(
        person=person,
        rank=rank,
        effective_on=effective_on,
        defaults={"source": source, "recorded_by": by},
    )
    audit_record(
        actor=by,
        verb="rank_change.record",
        target=change,
        rank=rank.name,
        effective_on=effective_on.isoformat(),
        source=source,
    )
    return change


@transaction.atomic
def departure_record(
    *, person: FacultyProfile, left_on: dt.date, source: str, by: User
) -> Departure:
    """Keep that `person` left the faculty on `left_on` (idempotent for the same day)."""
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


__all__ = ["CareerSource", "departure_record", "rank_change_record"]
