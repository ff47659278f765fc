"""Small server-side SVG charts. Pure functions: data in, markup out (escaped), no database.

Each chart is an `<svg role="img">` with a `<title>` and an `aria-labelledby`; the page puts the
same numbers in a table next to it ("Show the data"), so nothing depends on seeing the chart."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from itertools import count

from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0b5c8a", "#1d6b3a", "#a4262c", "#7a4a00", "#5b3f8c")
WIDTH, HEIGHT = 640, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 16, 52
_ids = count(1)


def _nice_max(value: float) -> int:
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return int(top)
    return int(value)


def _frame(title: str, body: list[str], chart_id: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every interpolated text is escaped above
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _axes(top: int) -> list[str]:
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = []
    for i in range(5):
        value = top * i / 4
        y = PAD_TOP + inner_h - inner_h * i / 4
        label = f"{value:g}"
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="grid" stroke="#d5dbe5" />'
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick" '
            f'font-size="11" fill="#4a5468">{escape(label)}</text>'
        )
    return parts


def bar_chart(
    *, title: str, labels: Sequence[str], values: Sequence[float | None], unit: str = ""
) -> SafeString:
    """Vertical bars; a `None` value (a suppressed cell) is drawn as a hatched stub."""
    chart_id = f"chart{next(_ids)}"
    top = _nice_max(max([v for v in values if v is not None] or [0]))
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = inner_w / max(1, len(values))
    bar_w = max(4.0, slot * 0.7)
    body = _axes(top)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = PAD_LEFT + i * slot + (slot - bar_w) / 2
        if value is None:
            body.append(
                f'<rect x="{x:.1f}" y="{PAD_TOP + inner_h - 6:.1f}" width="{bar_w:.1f}" '
                f'height="6" fill="#d5dbe5"><title>{escape(label)}: fewer than 5</title></rect>'
            )
        else:
            h = inner_h * value / top if top else 0
            body.append(
                f'<rect x="{x:.1f}" y="{PAD_TOP + inner_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[0]}">'
                f"<title>{escape(label)}: {value:g}{escape(unit)}</title></rect>"
            )
        if len(labels) <= 14 or i % 2 == 0:
            body.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" '
                f'text-anchor="middle" font-size="11" fill="#4a5468">{escape(_short(label))}</text>'
            )
    return _frame(title, body, chart_id)


def line_chart(
    *, title: str, labels: Sequence[str], series: dict[str, Sequence[float]]
) -> SafeString:
    """One line per series, with a legend under the axis."""
    chart_id = f"chart{next(_ids)}"
    top = _nice_max(max([v for values in series.values() for v in values] or [0]))
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(1, len(labels) - 1)
    body = _axes(top)
    for i, label in enumerate(labels):
        if len(labels) <= 14 or i % 2 == 0:
            body.append(
                f'<text x="{PAD_LEFT + i * step:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" '
                f'text-anchor="middle" font-size="11" fill="#4a5468">{escape(_short(label))}</text>'
            )
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(
            f"{PAD_LEFT + i * step:.1f},{PAD_TOP + inner_h - (inner_h * v / top if top else 0):.1f}"
            for i, v in enumerate(values)
        )
        body.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{points}" />'
        )
        lx = PAD_LEFT + n * 150
        body.append(
            f'<rect x="{lx}" y="{HEIGHT - 18}" width="12" height="12" fill="{colour}" />'
            f'<text x="{lx + 18}" y="{HEIGHT - 8}" font-size="12" fill="#1d2433">'
            f"{escape(name)}</text>"
        )
    return _frame(title, body, chart_id)


def _short(label: str) -> str:
    return label if len(label) <= 12 else label[:11] + "…"
