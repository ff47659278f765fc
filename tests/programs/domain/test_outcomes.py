"""The outcomes rules: Wilson intervals, rank on a date, promotion and retention in a window,
the comparison group and small cells."""

from __future__ import annotations

import datetime as dt

from programs.domain.outcomes import (
    COMPARISON,
    MENTORED,
    Career,
    Member,
    add_years,
    comparison_for,
    outcome_row,
    wilson,
)

D = dt.date


def test_wilson_matches_the_textbook_values():
    assert wilson(8, 10) == (49, 95)  # 0.4902–0.9433
    assert wilson(0, 10) == (0, 28)
    assert wilson(10, 10) == (72, 100)
    assert wilson(0, 0) is None


def test_add_years_handles_29_february():
    assert add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)


def test_rank_before_history_is_the_first_recorded_rank():
    c = Career(1, 1, (3, 3), ranks=((D(2020, 7, 1), 2, 2), (D(2023, 7, 1), 3, 3)))
    assert c.rank_on(D(2019, 1, 1)) == (2, 2)
    assert c.rank_on(D(2022, 1, 1)) == (2, 2)
    assert c.rank_on(D(2024, 1, 1)) == (3, 3)


def test_promotion_counts_only_a_higher_rank_inside_the_window():
    c = Career(1, 1, None, ranks=((D(2018, 1, 1), 2, 2), (D(2022, 6, 1), 3, 3)))
    assert c.promoted_between(D(2020, 1, 1), D(2023, 1, 1))
    assert not c.promoted_between(D(2020, 1, 1), D(2022, 1, 1))
    demoted = Career(2, 1, None, ranks=((D(2018, 1, 1), 3, 3), (D(2021, 1, 1), 2, 2)))
    assert not demoted.promoted_between(D(2020, 1, 1), D(2023, 1, 1))


def test_retention_counts_departures_in_the_window():
    c = Career(1, 1, None, departures=(D(2022, 3, 1),))
    assert not c.retained_between(D(2020, 1, 1), D(2023, 1, 1))
    assert c.retained_between(D(2020, 1, 1), D(2021, 1, 1))


def _people(n, start_id, *, promoted=0, left=0, stream=1):
    made = []
    for i in range(n):
        ranks = [(D(2015, 1, 1), 2, 2)]
        if i < promoted:
            ranks.append((D(2021, 1, 1), 3, 3))
        departures = (D(2021, 6, 1),) if i < left else ()
        made.append(Career(start_id + i, stream, (2, 2), tuple(ranks), departures))
    return made


def test_comparison_takes_the_same_rank_and_stream_never_mentored():
    index = D(2020, 1, 1)
    mentored = [Member(c, index) for c in _people(3, 1)]
    others = [*_people(4, 100), *_people(2, 200, stream=9), *_people(1, 300)]
    chosen = comparison_for(mentored, others, ever_mentored={1, 2, 3, 300})
    assert sorted(m.career.person_id for m in chosen) == [100, 101, 102, 103]


def test_a_row_counts_followed_promoted_and_retained_with_intervals():
    index = D(2020, 1, 1)
    mentored = [Member(c, index) for c in _people(10, 1, promoted=6, left=1)]
    comparison = [Member(c, index) for c in _people(8, 100, promoted=2, left=2)]
    row = outcome_row("C", mentored, comparison, years=3, today=D(2024, 1, 1), index_on=index)
    m, c = row.groups
    assert (m.group, m.followed, m.promoted, m.retained) == (MENTORED, 10, 6, 9)
    assert (c.group, c.followed, c.promoted, c.retained) == (COMPARISON, 8, 2, 6)
    assert m.promotion_rate == 60
    assert m.promotion_ci == wilson(6, 10)
    assert row.window_ends_on == D(2023, 1, 1)


def test_people_whose_window_has_not_ended_are_still_in_follow_up():
    index = D(2023, 6, 1)
    mentored = [Member(c, index) for c in _people(6, 1)]
    row = outcome_row("C", mentored, [], years=3, today=D(2024, 1, 1), index_on=index)
    assert (row.groups[0].followed, row.groups[0].in_follow_up) == (0, 6)


def test_a_small_group_hides_both_groups_of_the_row():
    index = D(2020, 1, 1)
    mentored = [Member(c, index) for c in _people(3, 1, promoted=1)]
    comparison = [Member(c, index) for c in _people(20, 100, promoted=5)]
    row = outcome_row("C", mentored, comparison, years=3, today=D(2024, 1, 1), index_on=index)
    assert all(g.hidden for g in row.groups)
    assert row.groups[0].promotion_rate is None
    assert row.groups[1].promotion_ci is None
