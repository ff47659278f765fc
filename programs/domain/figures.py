"""The definitions of the figures directors see, and small-cell suppression: pure, no Django.

Every surface — home, dashboard, relationships table, fairness view, emails, the exported
report — computes its figures through `programs/selectors/figures.py`, which reads the database
and applies these rules; the report's pure aggregation applies them to rows already fetched.
`DEFINITIONS` is the short text shown next to each figure wherever it appears.

Small cells: a group of fewer than `SMALL_CELL` people is never shown on its own, and
`hidden_groups` hides enough other groups (complementary suppression) that no hidden group's
size or rate can be worked out from the groups shown and the totals published elsewhere."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Directors hear about a relationship (and it counts as quiet) once this many meeting cycles
# went by without a meeting or check-in; members get a friendly nudge at the first.
from programs.domain.reminders import QUIET_AFTER_CYCLES
from programs.domain.small_cells import SMALL_CELL, SUPPRESSED  # noqa: F401 - re-exported

# One label per missing value, on every surface.
NOT_STATED = "Not stated"  # gender left empty, or "prefer not to say"
NOT_RECORDED = "Not recorded"  # no rank or stream on the profile

DIMENSIONS = ("Academic rank", "Academic stream", "Gender")

DEFINITIONS = {
    "quiet": "A current relationship with no meeting or check-in for two of its meeting "
    "cycles (the pair's agreed rhythm, else the program's) plus the program's grace period.",
    "at_risk": "A current relationship whose review scored low, dropped sharply or "
    "asked to end, and no director has cleared the flag yet.",
    "load": "Current relationships a mentor guides in this program, against the "
    "number of mentees they take (over capacity is shown as it is, never capped).",
    "unmatched": "Active mentees of the program with no current relationship "
    "in which they are mentored.",
    "match_rate": "The share of the program's active mentees who have a current "
    "relationship in which they are mentored.",
    "waiting": "Days from joining the program (or the cohort's start, if later) to "
    "the first relationship — or to today for a mentee still waiting.",
    "faculty": "Faculty on the roster of the institution (everyone with a profile there).",
    "mentored_share": "The share of the institution's faculty who are mentored now: in a "
    "current relationship of one of its programs, as mentee or peer.",
    "review_score": "Each party's most recent answer on a 1–5 scale "
    "(5 = healthy), the mentees' and the mentors' shown apart; sorting uses the lower.",
}


def quiet_definition(*, cadence_days: int, grace_days: int) -> str:
    """The definition with one program's numbers, for pages about that program."""
    return (
        f"{DEFINITIONS['quiet']} For this program: {quiet_after_days(cadence_days, grace_days)} "
        f"days with its default rhythm of {cadence_days} days and {grace_days} days' grace."
    )


def quiet_after_days(cadence_days: int, grace_days: int) -> int:
    """Days without a meeting after which a relationship is quiet."""
    return QUIET_AFTER_CYCLES * max(cadence_days, 1) + grace_days


def is_quiet(*, anchor: dt.date, cadence_days: int, grace_days: int, today: dt.date) -> bool:
    """`anchor` is the later of the last meeting or check-in and the start. The same rule as
    `domain.reminders.missed_cycles(...) >= QUIET_AFTER_CYCLES`, which the sweep uses to nudge."""
    return (today - anchor).days >= quiet_after_days(cadence_days, grace_days)


def waiting_from(joined_on: dt.date, cohort_start: dt.date | None) -> dt.date:
    """A mentee waits from joining the program, or from the cohort's start if that is later."""
    if cohort_start is not None and cohort_start > joined_on:
        return cohort_start
    return joined_on


def days_waited(start: dt.date, until: dt.date) -> int:
    return max(0, (until - start).days)


def rate(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


# --- Small cells ---------------------------------------------------------------------------------


def hidden_groups(
    sizes: Mapping[str, int],
    counts: Mapping[str, int] | None = None,
    *,
    minimum: int = SMALL_CELL,
) -> frozenset[str]:
    """The groups of one breakdown to hide. `sizes` are people per group (their sum is
    published elsewhere: the program's total); `counts` an additive figure per group whose total
    is published too (e.g. how many are matched), so that the rates shown can be checked.

    Every group under `minimum` is hidden; then the smallest shown groups join them until the
    hidden ones cannot be told apart by subtraction: at least two are hidden, they are not all
    of one person each, and — unless the totals already say so for everyone — they are neither
    all counted nor all not counted (else each hidden group's rate would follow)."""
    present = {g: n for g, n in sizes.items() if n > 0}
    hidden = {g for g, n in present.items() if n < minimum}
    if not hidden:
        return frozenset()
    candidates = sorted((n, g) for g, n in present.items() if g not in hidden)
    while candidates and not _protected(hidden, present, counts):
        hidden.add(candidates.pop(0)[1])
    return frozenset(hidden)


def _protected(
    hidden: set[str], sizes: Mapping[str, int], counts: Mapping[str, int] | None
) -> bool:
    if len(hidden) < 2:
        return False
    people = sum(sizes[g] for g in hidden)
    if people == len(hidden):  # every hidden group would be exactly one person
        return False
    if counts is not None:
        everyone = sum(sizes.values())
        counted = sum(counts.get(g, 0) for g in sizes)
        if 0 < counted < everyone:  # else the totals alone tell every group's rate
            hidden_counted = sum(counts.get(g, 0) for g in hidden)
            if hidden_counted in (0, people):
                return False
    return True


@dataclass(frozen=True)
class GroupRate:
    """One group of one breakdown: people, how many of them are matched, and whether the group
    is hidden (then neither figure may be shown)."""

    dimension: str
    group: str
    people: int
    matched: int
    hidden: bool = False

    @property
    def rate(self) -> int | None:
        return None if self.hidden else rate(self.matched, self.people)

    @property
    def shown_people(self) -> int | None:
        return None if self.hidden else self.people

    @property
    def shown_matched(self) -> int | None:
        return None if self.hidden else self.matched


@dataclass(frozen=True)
class Mentee:
    """What a match-rate breakdown needs about one mentee (labels already given)."""

    rank: str
    stream: str
    gender: str
    matched: bool
    count: int = 1  # how many mentees share these facts (a grouped query's row)

    def group(self, dimension: str) -> str:
        if dimension == "Academic rank":
            return self.rank or NOT_RECORDED
        if dimension == "Academic stream":
            return self.stream or NOT_RECORDED
        return self.gender or NOT_STATED


def match_rates_by_group(
    mentees: Iterable[Mentee], dimensions: Iterable[str] = DIMENSIONS
) -> list[GroupRate]:
    """People and matched per group of each dimension, small cells and their complements
    hidden. The one breakdown behind the fairness view, the dashboard's chart and the report."""
    mentees = list(mentees)
    result: list[GroupRate] = []
    for dimension in dimensions:
        people: dict[str, int] = defaultdict(int)
        matched: dict[str, int] = defaultdict(int)
        for m in mentees:
            group = m.group(dimension)
            people[group] += m.count
            matched[group] += m.count if m.matched else 0
        hidden = hidden_groups(people, matched)
        result.extend(
            GroupRate(dimension, g, people[g], matched[g], g in hidden) for g in sorted(people)
        )
    return result
