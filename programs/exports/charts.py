"""The charts of the program's figures, described once and drawn by `mentorship.charts`: the
dashboard, the fairness view and the PDF report show the same drawing of the same numbers.

One dimension per chart: the match rate gets one chart for rank, one for stream and one for
gender; a hidden (small) group is drawn as "fewer than 5" and its numbers are never shown."""

from __future__ import annotations

from collections.abc import Sequence

from mentorship import charts
from mentorship.charts import Chart
from programs.domain.figures import DIMENSIONS, SMALL_CELL, SUPPRESSED, GroupRate
from programs.domain.outcomes import OutcomeRow

HIDDEN = f"hidden (fewer than {SMALL_CELL} people, or would reveal one)"


def match_rate_charts(groups: Sequence[GroupRate], *, when: str = "now") -> list[Chart]:
    """One horizontal bar chart per dimension (rank, stream, gender) of the match rate."""
    result = []
    for dimension in DIMENSIONS:
        rows = [g for g in groups if g.dimension == dimension]
        if not rows:
            continue
        result.append(
            charts.bars(
                title=f"Active mentees with a mentor {when}, by {dimension.lower()} (%)",
                labels=[g.group for g in rows],
                values=[g.rate for g in rows],
                name="Match rate",
                unit="percent",
                category=dimension,
                hidden_text=SUPPRESSED,
                note=f"Groups of fewer than {SMALL_CELL} people are hidden, and so are enough "
                "others that a hidden one cannot be worked out.",
                table_columns=[dimension, "Mentees", "Matched", "Match rate"],
                table_rows=[
                    [g.group, SUPPRESSED, SUPPRESSED, SUPPRESSED]
                    if g.hidden
                    else [g.group, g.people, g.matched, f"{g.rate}%"]
                    for g in rows
                ],
            )
        )
    return result


def meetings_chart(months: Sequence[tuple[str, int]], *, title: str) -> Chart:
    return charts.columns(
        title=title,
        labels=[label for label, _ in months],
        values=[n for _, n in months],
        name="Meetings",
    )


def stages_chart(labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str) -> Chart:
    return charts.lines(title=title, labels=labels, series=series)


def score_chart(buckets: Sequence[tuple[str, int]], *, title: str) -> Chart:
    return charts.bars(
        title=title,
        labels=[label for label, _ in buckets],
        values=[n for _, n in buckets],
        name="Reviews",
        category="Score",
    )


def outcome_charts(rows: Sequence[OutcomeRow], *, years: int) -> list[Chart]:
    """Promotion within `years` and retention, mentored beside not mentored, cohort by cohort:
    one chart per measure (a hidden group is drawn as hidden, its numbers never shown)."""
    labels = [f"{row.label}: {g.group}" for row in rows for g in row.groups]
    groups = [g for row in rows for g in row.groups]
    made = []
    for title, rate, count in (
        (f"Promoted within {years} years (%)", "promotion_rate", "promoted"),
        (f"Retained {years} years (%)", "retention_rate", "retained"),
    ):
        made.append(
            charts.bars(
                title=title,
                labels=labels,
                values=[None if g.hidden or not g.followed else getattr(g, rate) for g in groups],
                name=title.split(" (")[0],
                unit="percent",
                category="Cohort and group",
                hidden_text=SUPPRESSED,
                note="Descriptive, not causal. Groups of fewer than "
                f"{SMALL_CELL} people are hidden, with the other group of the same cohort.",
                table_columns=["Cohort and group", "Followed", title.split(" (")[0], "Rate"],
                table_rows=[
                    [label, SUPPRESSED, SUPPRESSED, SUPPRESSED]
                    if g.hidden
                    else [
                        label,
                        g.followed,
                        getattr(g, count) if g.followed else "—",
                        f"{getattr(g, rate)}%" if g.followed else "—",
                    ]
                    for label, g in zip(labels, groups, strict=True)
                ],
            )
        )
    return made
