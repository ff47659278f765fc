"""The charts of the program's figures, described once and drawn by `mentorship.charts`: the
dashboard, the fairness view and the PDF report show the same drawing of the same numbers.

One dimension per chart: the match rate gets one chart for rank, one for stream and one for
gender; a hidden (small) group is drawn as "fewer than 5" and its numbers are never shown."""

from __future__ import annotations

from collections.abc import Sequence

from mentorship import charts
from mentorship.charts import Chart
from programs.domain.figures import DIMENSIONS, SMALL_CELL, SUPPRESSED, GroupRate

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
