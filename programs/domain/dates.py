"""Calendar arithmetic shared by reminders, reviews, agreements and self-evaluations."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 January + 1 month = 28/29 Feb)."""
    return day + relativedelta(months=months)
