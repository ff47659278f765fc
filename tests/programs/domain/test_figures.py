"""The figures' pure rules: quiet (the same rule as the reminders sweep), waiting time, and
small-cell suppression — with a property test that no hidden cell can be worked out from the
cells shown and the totals published elsewhere."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from programs.domain.figures import (
    NOT_RECORDED,
    NOT_STATED,
    SMALL_CELL,
    Mentee,
    days_waited,
    hidden_groups,
    is_quiet,
    match_rates_by_group,
    waiting_from,
)
from programs.domain.reminders import QUIET_AFTER_CYCLES, missed_cycles

D = dt.date


# --- Quiet, waiting --------------------------------------------------------------------------------


@given(
    days=st.integers(min_value=0, max_value=800),
    cadence=st.sampled_from([30, 42, 61, 91, 182]),
    grace=st.integers(min_value=0, max_value=60),
)
def test_quiet_is_the_sweeps_second_missed_cycle(days, cadence, grace):
    today = D(2026, 6, 1)
    anchor = today - dt.timedelta(days=days)
    assert is_quiet(anchor=anchor, cadence_days=cadence, grace_days=grace, today=today) == (
        missed_cycles(anchor=anchor, cadence_days=cadence, grace_days=grace, today=today)
        >= QUIET_AFTER_CYCLES
    )


def test_waiting_counts_from_the_later_of_joining_and_the_cohort_start():
    assert waiting_from(D(2026, 1, 1), D(2026, 3, 1)) == D(2026, 3, 1)
    assert waiting_from(D(2026, 4, 1), D(2026, 3, 1)) == D(2026, 4, 1)
    assert waiting_from(D(2026, 4, 1), None) == D(2026, 4, 1)
    assert days_waited(D(2026, 3, 1), D(2026, 3, 11)) == 10
    assert days_waited(D(2026, 3, 11), D(2026, 3, 1)) == 0


def test_missing_values_have_one_label_each():
    m = Mentee(rank="", stream="", gender="", matched=False)
    assert [m.group(d) for d in ("Academic rank", "Academic stream", "Gender")] == [
        NOT_RECORDED,
        NOT_RECORDED,
        NOT_STATED,
    ]


# --- Small cells -----------------------------------------------------------------------------------


def test_small_groups_are_hidden_with_a_complement():
    assert hidden_groups({"A": 20, "B": 3, "C": 9}) == {"B", "C"}
    assert hidden_groups({"A": 20, "B": 3, "C": 2}) == {"B", "C"}
    assert hidden_groups({"A": 20, "B": 8}) == set()


def test_two_groups_of_one_are_not_enough():
    # Hidden A and B of one person each: "2 hidden people in 2 groups" gives both away.
    assert hidden_groups({"A": 1, "B": 1, "C": 9, "D": 12}) == {"A", "B", "C"}


def test_hidden_groups_that_are_all_matched_or_none_take_another_group():
    sizes = {"A": 2, "B": 3, "C": 7, "D": 9}
    # Both small groups wholly unmatched, others partly: their 0% would follow from the totals.
    assert hidden_groups(sizes, {"A": 0, "B": 0, "C": 4, "D": 5}) == {"A", "B", "C"}
    # When everyone is matched the total says so for every group already: nothing more to hide.
    assert hidden_groups(sizes, sizes) == {"A", "B"}


def _compositions(total: int, parts: int):
    """Every way to split `total` people into `parts` non-empty groups."""
    for cuts in itertools.combinations(range(1, total), parts - 1):
        edges = (0, *cuts, total)
        yield [edges[i + 1] - edges[i] for i in range(parts)]


def _possible_values(sizes, counts, hidden):
    """For each hidden group, every (size, rate) consistent with what is shown: the visible
    groups' sizes and counts, and the totals of both (published elsewhere)."""
    hidden = sorted(hidden)
    people = sum(sizes[g] for g in hidden)
    counted = sum(counts[g] for g in hidden)
    seen = {g: (set(), set()) for g in hidden}
    for split in _compositions(people, len(hidden)):
        for i, g in enumerate(hidden):
            others = people - split[i]
            low, high = max(0, counted - others), min(split[i], counted)
            for c in range(low, high + 1):
                seen[g][0].add(split[i])
                seen[g][1].add(c / split[i])
    return seen


groups = st.dictionaries(
    st.sampled_from("ABCDEF"), st.integers(min_value=1, max_value=9), min_size=1, max_size=5
)


@settings(max_examples=300, deadline=None)
@given(sizes=groups, data=st.data())
def test_no_hidden_cell_can_be_worked_out_from_the_shown_cells_and_the_totals(sizes, data):
    counts = {g: data.draw(st.integers(min_value=0, max_value=n)) for g, n in sizes.items()}
    hidden = hidden_groups(sizes, counts)
    assert {g for g, n in sizes.items() if n < SMALL_CELL} <= hidden
    if not hidden or len(hidden) == len(sizes):
        return  # nothing hidden, or nothing shown but the totals themselves
    everyone, counted = sum(sizes.values()), sum(counts.values())
    rates_told_by_totals = counted in (0, everyone)
    for group, (possible_sizes, possible_rates) in _possible_values(sizes, counts, hidden).items():
        assert len(possible_sizes) > 1, f"the size of {group} follows from the totals"
        if not rates_told_by_totals:
            assert len(possible_rates) > 1, f"the rate of {group} follows from the totals"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("xyz"), st.sampled_from("pq"), st.sampled_from(["Woman", ""])),
        max_size=40,
    ),
    st.data(),
)
def test_every_dimension_of_a_breakdown_is_protected_against_the_shared_total(people, data):
    """The breakdowns share one total (every mentee is in one group of each dimension), so each
    dimension must stand on its own against it: checked by the same property, per dimension."""
    mentees = [Mentee(r, s, g, data.draw(st.booleans())) for r, s, g in people]
    for dimension in ("Academic rank", "Academic stream", "Gender"):
        rows = [g for g in match_rates_by_group(mentees) if g.dimension == dimension]
        sizes = {g.group: g.people for g in rows}
        counts = {g.group: g.matched for g in rows}
        assert {g.group for g in rows if g.hidden} == hidden_groups(sizes, counts)
        assert all(g.rate is None and g.shown_people is None for g in rows if g.hidden)
        assert sum(g.people for g in rows) == len(mentees)
