"""The pure date logic of reminders and reviews: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from programs.domain.reminders import (
    add_months,
    chase_days,
    current_review,
    missed_cycle_day,
    missed_cycles,
    morning_of,
    upcoming_reminder_at,
)
from programs.domain.review_scores import (
    Answer,
    on_five_point_scale,
    response_score,
    risk_reasons,
)


def test_no_cycle_is_missed_within_cadence_plus_grace():
    anchor = date(2026, 1, 1)
    assert (
        missed_cycles(anchor=anchor, cadence_days=30, grace_days=14, today=date(2026, 2, 13)) == 0
    )


def test_the_first_cycle_is_missed_once_cadence_and_grace_have_passed():
    anchor = date(2026, 1, 1)
    day = missed_cycle_day(anchor=anchor, cadence_days=30, grace_days=14, cycle=1)
    assert day == date(2026, 2, 14)
    assert missed_cycles(anchor=anchor, cadence_days=30, grace_days=14, today=day) == 1


def test_each_further_cadence_is_another_missed_cycle():
    anchor = date(2026, 1, 1)
    second = missed_cycle_day(anchor=anchor, cadence_days=30, grace_days=14, cycle=2)
    assert second == date(2026, 3, 16)
    assert missed_cycles(anchor=anchor, cadence_days=30, grace_days=14, today=second) == 2
    assert (
        missed_cycles(anchor=anchor, cadence_days=30, grace_days=14, today=second - timedelta(1))
        == 1
    )


def test_a_quarterly_cadence_waits_longer():
    anchor = date(2026, 1, 1)
    assert missed_cycles(anchor=anchor, cadence_days=91, grace_days=14, today=date(2026, 3, 1)) == 0


def test_the_morning_is_nine_oclock_on_the_recipients_own_clock():
    assert morning_of(date(2026, 1, 15), "America/Toronto") == datetime(2026, 1, 15, 14, tzinfo=UTC)
    assert morning_of(date(2026, 1, 15), "Asia/Tokyo") == datetime(2026, 1, 15, 0, tzinfo=UTC)


def test_the_morning_keeps_its_local_hour_across_daylight_saving():
    # Toronto moves from EST (UTC-5) to EDT (UTC-4) on 8 March 2026.
    assert morning_of(date(2026, 3, 7), "America/Toronto") == datetime(2026, 3, 7, 14, tzinfo=UTC)
    assert morning_of(date(2026, 3, 8), "America/Toronto") == datetime(2026, 3, 8, 13, tzinfo=UTC)
    # Europe moves on 29 March 2026.
    assert morning_of(date(2026, 3, 29), "Europe/Berlin") == datetime(2026, 3, 29, 7, tzinfo=UTC)


def test_an_unknown_zone_falls_back_to_utc():
    assert morning_of(date(2026, 1, 15), "Mars/Olympus") == datetime(2026, 1, 15, 9, tzinfo=UTC)


def test_a_meeting_reminder_is_a_fixed_span_before_even_across_the_change():
    starts = datetime(2026, 3, 9, 13, tzinfo=UTC)  # 09:00 EDT on Monday
    assert upcoming_reminder_at(starts, 24) == datetime(2026, 3, 8, 13, tzinfo=UTC)


def test_months_keep_the_day_where_it_exists():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 8, 15), 6) == date(2027, 2, 15)


def test_the_pilot_review_opens_two_weeks_before_the_pilot_ends():
    window = current_review(
        pilot_ends_on=date(2026, 4, 1),
        started_on=date(2026, 1, 1),
        cadence_months=6,
        today=date(2026, 3, 18),
    )
    assert (window.cycle, window.opens_on, window.closes_on) == (
        0,
        date(2026, 3, 18),
        date(2026, 4, 17),
    )


def test_no_review_between_windows():
    assert (
        current_review(
            pilot_ends_on=date(2026, 4, 1),
            started_on=date(2026, 1, 1),
            cadence_months=6,
            today=date(2026, 6, 1),
        )
        is None
    )


def test_then_a_review_every_cadence_after_the_pilot():
    kwargs = {"pilot_ends_on": date(2026, 4, 1), "started_on": date(2026, 1, 1)}
    first = current_review(**kwargs, cadence_months=6, today=date(2026, 10, 5))
    assert (first.cycle, first.opens_on) == (1, date(2026, 10, 1))
    third = current_review(**kwargs, cadence_months=6, today=date(2027, 10, 20))
    assert (third.cycle, third.opens_on) == (3, date(2027, 10, 1))
    quarterly = current_review(**kwargs, cadence_months=3, today=date(2026, 7, 2))
    assert quarterly.cycle == 1


def test_a_relationship_without_a_pilot_is_reviewed_from_its_start():
    window = current_review(
        pilot_ends_on=None, started_on=date(2026, 1, 10), cadence_months=6, today=date(2026, 7, 12)
    )
    assert (window.cycle, window.opens_on) == (1, date(2026, 7, 10))


def test_two_chases_a_week_apart():
    assert chase_days(date(2026, 3, 1)) == [date(2026, 3, 8), date(2026, 3, 15)]


def test_warning_signs_are_reversed_in_the_score():
    answers = [Answer(5, False), Answer(1, True), Answer(None, False)]
    assert response_score(answers, scale_min=1, scale_max=5) == Decimal("5.00")
    assert response_score([Answer(5, True)], scale_min=1, scale_max=5) == Decimal("1.00")


def test_all_not_sure_has_no_score():
    assert response_score([Answer(None, True)], scale_min=1, scale_max=5) is None


def test_another_scale_is_placed_on_one_to_five():
    assert on_five_point_scale(Decimal(7), scale_min=1, scale_max=7) == Decimal(5)
    assert on_five_point_scale(Decimal(4), scale_min=1, scale_max=7) == Decimal(3)


def test_risk_rules():
    rules = {"risk_threshold": Decimal(3), "drop_threshold": Decimal(1)}
    assert risk_reasons(score=Decimal("2.9"), previous=None, choice="continue", **rules) == [
        "low_score"
    ]
    assert risk_reasons(
        score=Decimal("3.5"), previous=Decimal("4.5"), choice="adjust", **rules
    ) == ["sharp_drop"]
    assert risk_reasons(score=Decimal("4.5"), previous=Decimal("4.6"), choice="end", **rules) == [
        "wants_to_end"
    ]
    assert risk_reasons(score=None, previous=None, choice="continue", **rules) == []
