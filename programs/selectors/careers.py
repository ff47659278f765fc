"""Reads of a person's career record: rank and stream histories and departures, newest first,
for the career page (three queries whatever their length)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from programs.models import Departure, FacultyProfile, RankChange, StreamChange


@dataclass(frozen=True)
class CareerRecord:
    ranks: list[RankChange]
    streams: list[StreamChange]
    departures: list[Departure]  # withdrawn ones too, marked

    @property
    def has_left(self) -> bool:
        return any(not d.is_withdrawn for d in self.departures)


def departures_of(person: FacultyProfile) -> QuerySet[Departure]:
    return (
        Departure.objects.filter(person=person)
        .select_related("recorded_by", "withdrawn_by")
        .order_by("-left_on", "-pk")
    )


def career_record(*, person: FacultyProfile) -> CareerRecord:
    return CareerRecord(
        ranks=list(
            RankChange.objects.filter(person=person)
            .select_related("rank", "recorded_by")
            .order_by("-effective_on", "-pk")
        ),
        streams=list(
            StreamChange.objects.filter(person=person)
            .select_related("stream", "recorded_by")
            .order_by("-effective_on", "-pk")
        ),
        departures=list(departures_of(person)),
    )
