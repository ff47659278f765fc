"""Outcomes: promotion within N years and retention, for mentored faculty and for faculty of the
same rank and stream not (yet) mentored. Pure, no Django: the selector in
`programs/selectors/figures.py` reads careers and relationships and calls these.

Descriptive only. The groups differ in ways no table can remove (who joins a program, who is
put forward for promotion), so the figures say what happened, never what mentoring caused.

The rules, once:
- Each group row has an index date: the cohort's start (for members with no cohort, the
  program's start). Both groups of a row are followed from the same date.
- Mentored: the program's mentees (mentee or both) who have been mentee or peer in one of its
  relationships. Comparison: faculty of the institution never mentee or peer in any relationship
  (of any program, up to today), holding at the index date a rank and stream that someone in the
  mentored group held, and not departed before it.
- Followed: the window [index, index + N years] has ended by today. Only they are counted; the
  others are "still in follow-up".
- Promoted: a rank change in the window to a rank of higher order than the one held at the
  index date. Retained: no departure in the window.
- A rank before a person's first recorded change is taken to be that first rank (the history
  starts at the first import or change), which can only miss promotions, never invent them.
  Streams likewise: the stream held at the index date, from the stream history (its first entry
  for earlier dates; today's stream for someone with no history).
- Departures withdrawn by a director or admin count for nothing (the selector leaves them out)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from programs.domain.figures import hidden_groups, rate

Z_95 = 1.959964
MENTORED = "Mentored"
COMPARISON = "Not mentored, same rank and stream"
GROUPS = (MENTORED, COMPARISON)
YEARS_CHOICES = tuple(range(1, 11))
DEFAULT_YEARS = 3


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[int, int] | None:
    """The Wilson score interval of a proportion, in whole percent (None without trials)."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0, math.floor(100 * (centre - half))), min(100, math.ceil(100 * (centre + half)))


@dataclass(frozen=True)
class Career:
    """One person's history: (effective date, rank id, rank order) ascending, departures, and
    (effective date, stream id) ascending."""

    person_id: int
    stream_id: int | None  # on the profile today
    current_rank: tuple[int, int] | None  # (rank id, order) on the profile today
    ranks: Sequence[tuple[dt.date, int, int]] = ()
    departures: Sequence[dt.date] = ()
    streams: Sequence[tuple[dt.date, int]] = ()

    def stream_on(self, day: dt.date) -> int | None:
        if not self.streams:
            return self.stream_id
        held = self.streams[0][1]
        for effective_on, stream_id in self.streams:
            if effective_on <= day:
                held = stream_id
        return held

    def rank_on(self, day: dt.date) -> tuple[int, int] | None:
        held = None
        for effective_on, rank_id, order in self.ranks:
            if effective_on <= day:
                held = (rank_id, order)
        if held is None and self.ranks:
            _, rank_id, order = self.ranks[0]
            held = (rank_id, order)
        return held if held is not None else self.current_rank

    def departed_before(self, day: dt.date) -> bool:
        return any(left < day for left in self.departures)

    def promoted_between(self, start: dt.date, end: dt.date) -> bool:
        at_start = self.rank_on(start)
        if at_start is None:
            return False
        return any(start < on <= end and order > at_start[1] for on, _, order in self.ranks)

    def retained_between(self, start: dt.date, end: dt.date) -> bool:
        return not any(start <= left <= end for left in self.departures)


@dataclass(frozen=True)
class GroupOutcome:
    group: str
    followed: int  # people whose window has ended
    in_follow_up: int  # people whose window has not ended yet
    promoted: int
    retained: int
    hidden: bool = False

    @property
    def promotion_rate(self) -> int | None:
        return None if self.hidden else rate(self.promoted, self.followed)

    @property
    def retention_rate(self) -> int | None:
        return None if self.hidden else rate(self.retained, self.followed)

    @property
    def promotion_ci(self) -> tuple[int, int] | None:
        return None if self.hidden else wilson(self.promoted, self.followed)

    @property
    def retention_ci(self) -> tuple[int, int] | None:
        return None if self.hidden else wilson(self.retained, self.followed)


@dataclass(frozen=True)
class OutcomeRow:
    """One cohort (or "all cohorts") of one program: both groups, followed from `index_on`."""

    label: str
    index_on: dt.date | None  # None for the all-cohorts row (each person from their cohort's)
    window_ends_on: dt.date | None
    groups: tuple[GroupOutcome, GroupOutcome]


@dataclass(frozen=True)
class Member:
    """A mentored person of a row, with the row's index date."""

    career: Career
    index_on: dt.date


def _measure(group: str, people: Iterable[Member], *, years: int, today: dt.date) -> GroupOutcome:
    followed = in_follow_up = promoted = retained = 0
    for m in people:
        end = add_years(m.index_on, years)
        if end > today:
            in_follow_up += 1
            continue
        followed += 1
        promoted += m.career.promoted_between(m.index_on, end)
        retained += m.career.retained_between(m.index_on, end)
    return GroupOutcome(group, followed, in_follow_up, promoted, retained)


def comparison_for(
    mentored: Sequence[Member], others: Iterable[Career], *, ever_mentored: set[int]
) -> list[Member]:
    """The comparison group of a row: people of a rank and stream someone mentored held at the
    index date, present then, and never mentee or peer in any relationship (`ever_mentored`
    holds the ids of everyone who was)."""
    if not mentored:
        return []
    index_on = mentored[0].index_on
    strata = {(m.career.rank_on(index_on), m.career.stream_on(index_on)) for m in mentored}
    chosen = []
    for career in others:
        if career.person_id in ever_mentored:
            continue
        if career.departed_before(index_on):
            continue
        if (career.rank_on(index_on), career.stream_on(index_on)) in strata:
            chosen.append(Member(career, index_on))
    return chosen


def suppress(outcomes: tuple[GroupOutcome, GroupOutcome]) -> tuple[GroupOutcome, GroupOutcome]:
    """The same small-cell rule as every other figure (`hidden_groups`), over the two groups'
    followed people, protecting both the promoted and the retained counts."""
    sizes = {o.group: o.followed for o in outcomes}
    hidden = hidden_groups(sizes, {o.group: o.promoted for o in outcomes}) | hidden_groups(
        sizes, {o.group: o.retained for o in outcomes}
    )
    return tuple(  # type: ignore[return-value]
        GroupOutcome(o.group, o.followed, o.in_follow_up, o.promoted, o.retained, o.group in hidden)
        for o in outcomes
    )


def outcome_row(
    label: str,
    mentored: Sequence[Member],
    comparison: Sequence[Member],
    *,
    years: int,
    today: dt.date,
    index_on: dt.date | None,
) -> OutcomeRow:
    measured = (
        _measure(MENTORED, mentored, years=years, today=today),
        _measure(COMPARISON, comparison, years=years, today=today),
    )
    return OutcomeRow(
        label,
        index_on,
        add_years(index_on, years) if index_on else None,
        suppress(measured),
    )
