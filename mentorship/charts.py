"""Charts drawn by matplotlib: one description (`Chart`), the same drawing on the page (inline
SVG) and in the PDF report (the same SVG, placed as vector graphics by svglib).

Pure: data in, markup out, no database. What every chart here promises:
- one dimension per chart (a chart of groups shows one of rank, stream or gender, never a mix);
- counts get whole-number ticks; percentages run from 0 to 100 %;
- labels never overlap: group names sit on the vertical axis of horizontal bars, wrapped, with
  room made for every one; months on a time axis are thinned to at most six labels;
- the Okabe–Ito palette (safe for colour-blind readers) and a second encoding on every series —
  a distinct marker and line style, and the value written next to each bar or line end;
- an explicit "No data yet" state instead of an empty frame;
- text of at least 13 units in a drawing 374 units wide, so it stays legible at the width
  of a phone (375 px);
- a data table (`columns`, `rows`) and a text summary (`summary`) for each chart, so nothing
  depends on seeing it.

The page's Content-Security-Policy forbids `style` attributes and `<style>` elements, which
matplotlib writes; `_clean_svg` turns them into SVG presentation attributes, which the policy
allows, and gives every id a prefix of its own so several charts can share a page."""

from __future__ import annotations

import io
import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import count
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")  # no display, no GUI toolkit: every chart is drawn off screen

from django.utils.safestring import SafeString, mark_safe
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN, TICKLEFT
from matplotlib.textpath import TextToPath
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import offset_copy

# Okabe & Ito, "Color Universal Design": distinguishable with every common colour-vision
# deficiency. Each series also gets its own marker and line style (never colour alone).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", ":", "-.", "-", "--", ":")
INK, MUTED, GRID = "#1d2433", "#4a5468", "#d5dbe5"
FONT_FAMILY = "DejaVu Sans"
WEB_FONTS = "DejaVu Sans, Verdana, Arial, sans-serif"  # DejaVu's metrics, or near them

# Points; matplotlib's SVG unit is the point, so a 5.2 in wide chart is 374 units wide: in a
# 320 px phone column its 13-point text still reads at about 11 px.
WIDTH_IN = 5.2
FONT_SIZE = 13
TITLE_SIZE = 14
WRAP_AT = 20  # characters per line of a group label
TITLE_WRAP_AT = 42
MAX_TIME_LABELS = 6
RIGHT_IN = 0.25
CHAR_WIDTH = 0.62  # DejaVu Sans's average advance, in ems (it is a wide face)
NO_DATA = "No data yet"

Unit = Literal["count", "percent", "score"]
Kind = Literal["bars", "columns", "lines"]

matplotlib.rcParams.update(
    {
        "font.family": FONT_FAMILY,
        "font.size": FONT_SIZE,
        "axes.titlesize": TITLE_SIZE,
        "axes.edgecolor": MUTED,
        "axes.labelcolor": INK,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "text.color": INK,
        "svg.fonttype": "none",  # real <text>: selectable, searchable, and sized in the markup
        "svg.hashsalt": "mentorship",  # stable ids (re-prefixed per chart below)
        "path.simplify": True,
    }
)

_ids = count(1)

# Text measured once per process: every new drawing gets a new SVG renderer, and matplotlib
# keeps its text sizes per renderer, so each chart shaped every label, tick and "lp" again with
# FreeType (a millisecond each, half a chart's time). An SVG renderer's measure depends on the
# text and font only (always 72 units an inch), so the sizes are shared across drawings.
_text_to_path = TextToPath()


@lru_cache(maxsize=4096)
def _text_size(text: str, prop: FontProperties, ismath: Any) -> tuple[float, float, float]:
    return _text_to_path.get_text_width_height_descent(text, prop, ismath)


def _measured(renderer: RendererSVG, text: str, prop: FontProperties, ismath: Any) -> Any:
    # A copy: FontProperties is mutable and hashed by its state, as matplotlib's own cache does.
    return _text_size(text, prop.copy(), ismath)


RendererSVG.get_text_width_height_descent = _measured  # type: ignore[method-assign]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: a hidden (suppressed) cell


@dataclass(frozen=True)
class Chart:
    """What a chart shows. `svg` draws it for a page; `svg_text` is the same drawing for the PDF;
    `columns`/`rows` are its data table and `summary` says it in words.

    kind: "bars" — horizontal bars, one per group or category (labels on the vertical axis);
          "columns" — vertical bars over time (months);
          "lines" — one line per series over time."""

    kind: Kind
    title: str
    labels: Sequence[str]
    series: Sequence[Series]
    unit: Unit = "count"
    category: str = "Group"  # the data table's first column heading
    hidden_text: str = "hidden"  # shown for a suppressed cell
    note: str = ""  # one more sentence for the summary (e.g. why some groups are hidden)
    # A fuller data table than the plotted values, when there is one (e.g. people and matched
    # next to a match rate); by default the table is the plotted values.
    table_columns: Sequence[str] = ()
    table_rows: Sequence[Sequence[Any]] = ()
    chart_id: str = field(default_factory=lambda: f"chart{next(_ids)}", compare=False)

    # --- Words and table ------------------------------------------------------------------------

    @property
    def empty(self) -> bool:
        return not self.labels or all(v is None or v == 0 for s in self.series for v in s.values)

    def format(self, value: float | None) -> str:
        if value is None:
            return self.hidden_text
        if self.unit == "percent":
            return f"{value:.0f}%"
        if self.unit == "score":
            return f"{value:.1f}"
        return f"{value:,.0f}"

    @property
    def columns(self) -> list[str]:
        if self.table_columns:
            return list(self.table_columns)
        return [self.category, *(s.name for s in self.series)]

    @property
    def rows(self) -> list[list[Any]]:
        if self.table_columns:
            return [list(row) for row in self.table_rows]
        return [
            [label, *(self.format(s.values[i]) for s in self.series)]
            for i, label in enumerate(self.labels)
        ]

    @property
    def summary(self) -> str:
        if self.empty:
            return f"{NO_DATA}: nothing to show for this period."
        parts = [self._series_summary(s) for s in self.series]
        hidden = sum(1 for s in self.series for v in s.values if v is None)
        if hidden:
            parts.append(f"{hidden} value{'s' if hidden != 1 else ''} hidden ({self.hidden_text}).")
        if self.note:
            parts.append(self.note)
        return " ".join(p for p in parts if p)

    def _series_summary(self, series: Series) -> str:
        shown = [
            (label, v) for label, v in zip(self.labels, series.values, strict=True) if v is not None
        ]
        if not shown:
            return ""
        prefix = f"{series.name}: " if len(self.series) > 1 or self.kind != "bars" else ""
        if all(v == 0 for _, v in shown):
            return f"{prefix}none."
        if self.kind == "bars":
            high = max(shown, key=lambda lv: lv[1])
            low = min(shown, key=lambda lv: lv[1])
            if high == low or len(shown) == 1:
                return f"{prefix}{high[0]} {self.format(high[1])}."
            return (
                f"{prefix}highest {high[0]} ({self.format(high[1])}), "
                f"lowest {low[0]} ({self.format(low[1])})."
            )
        first, last = shown[0], shown[-1]
        peak = max(shown, key=lambda lv: lv[1])
        text = f"{prefix}{self.format(first[1])} in {first[0]}, {self.format(last[1])} in {last[0]}"
        if self.unit == "count" and self.kind == "columns":
            text += f", {self.format(sum(v for _, v in shown))} in all"
        return f"{text}; the most was {self.format(peak[1])} in {peak[0]}."

    # --- Drawing ---------------------------------------------------------------------------------

    @cached_property
    def svg_text(self) -> str:
        """The chart as a standalone SVG document (for the PDF) — the same drawing as `svg`."""
        return render(self)

    @property
    def svg(self) -> SafeString:
        """The chart as inline SVG for a page: every text in it was escaped by the writer, and
        `_clean_svg` only renames attributes."""
        return mark_safe(self.svg_text)  # noqa: S308 - matplotlib escapes every text it writes


def bars(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    name: str,
    unit: Unit = "count",
    category: str = "Group",
    hidden_text: str = "hidden",
    note: str = "",
    table_columns: Sequence[str] = (),
    table_rows: Sequence[Sequence[Any]] = (),
) -> Chart:
    return Chart(
        "bars",
        title,
        list(labels),
        [Series(name, list(values))],
        unit,
        category,
        hidden_text,
        note,
        table_columns=table_columns,
        table_rows=table_rows,
    )


def columns(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    name: str,
    category: str = "Month",
) -> Chart:
    return Chart("columns", title, list(labels), [Series(name, list(values))], "count", category)


def lines(
    *,
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    unit: Unit = "count",
    category: str = "Month",
) -> Chart:
    return Chart(
        "lines",
        title,
        list(labels),
        [Series(n, list(v)) for n, v in series.items()],
        unit,
        category,
    )


# --- Rendering -------------------------------------------------------------------------------------


def _wrap(label: str) -> str:
    return "\n".join(textwrap.wrap(label, WRAP_AT, max_lines=3, placeholder="…")) or " "


def _locator(unit: Unit) -> MaxNLocator:
    if unit == "percent":
        return MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10], integer=True)
    if unit == "score":
        return MaxNLocator(nbins=5, integer=True)
    return MaxNLocator(nbins=5, integer=True, min_n_ticks=2)


def _value_limits(unit: Unit, top: float) -> tuple[float, float]:
    if unit == "percent":
        return (0, 100)
    if unit == "score":
        return (0, 5)
    return (0, max(1.0, top * 1.15))


# The axes are drawn here rather than by matplotlib's tick objects (five artists each, measured
# twice a draw): those were two thirds of a chart's time. The look is the same: gridlines, short
# tick marks and labels in the muted colour, `TICK_PAD` points from the axis.
TICK_LENGTH = 3.5
TICK_PAD = 3.5


def _value_ticks(ax: Any, unit: Unit, low: float, high: float, *, along: str) -> None:
    """Gridlines, tick marks and labels of the value axis (`along` "x" or "y") over the view
    from `low` to `high`: whole numbers for counts and scores, 0–100 % for percentages."""
    ticks = [v for v in _locator(unit).tick_values(low, high) if low - 1e-9 <= v <= high + 1e-9]
    labels = [f"{v:.0f}%" if unit == "percent" else f"{v:.0f}" for v in ticks]
    fig = ax.figure
    if along == "x":
        base = ax.get_xaxis_transform()
        ax.vlines(ticks, 0, 1, transform=base, colors=GRID, linewidth=0.8, zorder=0.5)
        ax.plot(ticks, [0] * len(ticks), transform=base, **_tick_marks(TICKDOWN))
        place = offset_copy(base, fig=fig, y=-(TICK_LENGTH + TICK_PAD), units="points")
        for value, label in zip(ticks, labels, strict=True):
            ax.text(value, 0, label, transform=place, ha="center", va="top", color=MUTED)
    else:
        base = ax.get_yaxis_transform()
        ax.hlines(ticks, 0, 1, transform=base, colors=GRID, linewidth=0.8, zorder=0.5)
        ax.plot([0] * len(ticks), ticks, transform=base, **_tick_marks(TICKLEFT))
        place = offset_copy(base, fig=fig, x=-(TICK_LENGTH + TICK_PAD), units="points")
        for value, label in zip(ticks, labels, strict=True):
            ax.text(0, value, label, transform=place, ha="right", va="center", color=MUTED)


def _tick_marks(marker: int) -> dict[str, Any]:
    return {
        "marker": marker,
        "markersize": TICK_LENGTH,
        "markeredgewidth": 0.8,
        "color": MUTED,
        "linestyle": "none",
        "clip_on": False,
    }


def _bars(ax: Any, corners: Sequence[tuple[tuple[float, float], tuple[float, float]]]) -> None:
    """Every bar as one collection of rectangles (from one corner to the opposite one): the
    same drawing as `bar`, without an artist and its properties for each bar."""
    ax.add_collection(
        PolyCollection(
            [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)] for (x0, y0), (x1, y1) in corners],
            facecolors=PALETTE[0],
            edgecolors="none",
            linewidths=0,
        ),
        autolim=False,
    )


def _no_ticks(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _figure(
    height_in: float, *, left_in: float, bottom_in: float, title_lines: int
) -> tuple[Figure, Any]:
    """A figure whose margins are computed from what they must hold (no layout engine: it
    would draw every chart twice, and a chart must render in well under 100 ms)."""
    top_in = 0.3 + title_lines * TITLE_SIZE * 1.25 / 72
    height_in = height_in + top_in
    fig = Figure(figsize=(WIDTH_IN, height_in))
    ax = fig.add_axes(
        (
            left_in / WIDTH_IN,
            bottom_in / height_in,
            1 - (left_in + RIGHT_IN) / WIDTH_IN,
            1 - (bottom_in + top_in) / height_in,
        )
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _title(fig: Figure, title: str) -> None:
    # On the figure, from its left edge: a title set on the axes starts after the group labels
    # and would run off the right edge.
    fig.text(0.02, 1 - 0.12 / fig.get_figheight(), title, ha="left", va="top", fontsize=TITLE_SIZE)


def _text_width_in(chars: int, size: int = FONT_SIZE) -> float:
    return chars * size * CHAR_WIDTH / 72


def _no_data(chart: Chart) -> Figure:
    title = _wrap_title(chart.title)
    fig = Figure(figsize=(WIDTH_IN, 1.4 + 0.25 * title.count("\n")))
    fig.text(0.03, 0.93, title, ha="left", va="top", fontsize=TITLE_SIZE, color=INK)
    fig.text(0.5, 0.3, NO_DATA, ha="center", va="center", fontsize=FONT_SIZE + 2, color=MUTED)
    return fig


def _wrap_title(title: str) -> str:
    return "\n".join(textwrap.wrap(title, TITLE_WRAP_AT))


def _draw_bars(chart: Chart) -> Figure:
    values = chart.series[0].values
    n = len(chart.labels)
    wrapped = [_wrap(label) for label in chart.labels]
    lines_per_label = max(label.count("\n") + 1 for label in wrapped)
    longest = max(len(line) for label in wrapped for line in label.split("\n"))
    title = _wrap_title(chart.title)
    fig, ax = _figure(
        0.5 + n * (0.14 + 0.22 * lines_per_label),
        left_in=0.15 + _text_width_in(longest),
        bottom_in=0.45,
        title_lines=title.count("\n") + 1,
    )
    _title(fig, title)
    positions = list(range(n))
    shown = [v if v is not None else 0 for v in values]
    _bars(ax, [((0, y - 0.3), (v, y + 0.3)) for y, v in zip(positions, shown, strict=True)])
    _no_ticks(ax)
    ax.set_ylim(n - 0.5, -0.5)  # the first group on top, as in the table
    place = offset_copy(ax.get_yaxis_transform(), fig=fig, x=-TICK_PAD, units="points")
    for y, label in zip(positions, wrapped, strict=True):
        ax.text(0, y, label, transform=place, ha="right", va="center", color=MUTED)
    top = max([v for v in values if v is not None] or [0])
    limits = _value_limits(chart.unit, top)
    span = limits[1] - limits[0]
    # Room on the right for the direct labels, without moving a percentage axis off 100 %.
    right = limits[1] if chart.unit != "count" else limits[1] + 0.12 * span
    ax.set_xlim(0, right)
    _value_ticks(ax, chart.unit, 0, right, along="x")
    for y, value in zip(positions, values, strict=True):
        text = chart.format(value)
        inside = value is not None and value > 0.8 * span
        x = (value or 0) - 0.01 * span if inside else (value or 0) + 0.01 * span
        ax.text(
            x,
            y,
            text,
            va="center",
            ha="right" if inside else "left",
            color="#ffffff" if inside else (MUTED if value is None else INK),
            fontsize=FONT_SIZE,
        )
    return fig


def _time_ticks(ax: Any, labels: Sequence[str]) -> None:
    step = max(1, -(-len(labels) // MAX_TIME_LABELS))
    ticks = list(range(0, len(labels), step))
    ax.set_xlim(-0.6, len(labels) - 0.4)
    base = ax.get_xaxis_transform()
    ax.plot(ticks, [0] * len(ticks), transform=base, **_tick_marks(TICKDOWN))
    place = offset_copy(base, fig=ax.figure, y=-(TICK_LENGTH + TICK_PAD), units="points")
    for i in ticks:
        label = labels[i].replace(" ", "\n", 1)
        ax.text(i, 0, label, transform=place, ha="center", va="top", color=MUTED)


def _draw_columns(chart: Chart) -> Figure:
    values = [v or 0 for v in chart.series[0].values]
    title = _wrap_title(chart.title)
    fig, ax = _figure(
        2.7,
        left_in=0.2 + _text_width_in(len(f"{max(values):,.0f}") + 1),
        bottom_in=0.6,
        title_lines=title.count("\n") + 1,
    )
    _title(fig, title)
    positions = list(range(len(values)))
    _bars(ax, [((x - 0.35, 0), (x + 0.35, v)) for x, v in enumerate(values)])
    _no_ticks(ax)
    _time_ticks(ax, chart.labels)
    limits = _value_limits(chart.unit, max(values))
    ax.set_ylim(*limits)
    _value_ticks(ax, chart.unit, *limits, along="y")
    # Direct labels when there is room for every one; the table has them all anyway.
    if len(values) <= 12:
        # Plain texts 2 points above each column (an annotation would draw the same, slower).
        above = offset_copy(ax.transData, fig=fig, y=2, units="points")
        for x, value in zip(positions, values, strict=True):
            if value:
                ax.text(
                    x,
                    value,
                    chart.format(value),
                    transform=above,
                    ha="center",
                    va="bottom",
                    fontsize=FONT_SIZE - 1 if len(values) > 8 else FONT_SIZE,
                )
    return fig


def _series_style(n: int) -> dict[str, Any]:
    """Series `n`'s colour, marker and line style. Each later series is thinner, with smaller
    markers, and drawn on top: where two series have the same values, both stay visible (a
    small marker inside a large one)."""
    return {
        "color": PALETTE[n % len(PALETTE)],
        "marker": MARKERS[n % len(MARKERS)],
        "linestyle": LINESTYLES[n % len(LINESTYLES)],
        "linewidth": max(1.2, 2.6 - 0.6 * n),
        "markersize": max(3.5, 9 - 2.2 * n),
    }


LEGEND_ROW_IN = 0.3
HANDLE_PT = 2.4 * FONT_SIZE  # a sample of the line, its marker in the middle
LEGEND_GAP_PT = 0.6 * FONT_SIZE  # between a sample and its name
LEGEND_SEP_PT = 1.6 * FONT_SIZE  # between entries


def _legend(fig: Figure, names: Sequence[str]) -> None:
    """Each series' name after a sample of its line, up to three a row, centred under the
    plot: plain lines and texts (matplotlib's legend lays itself out in nested boxes, a quarter
    of a line chart's time)."""
    prop = FontProperties(family=FONT_FAMILY, size=FONT_SIZE)
    inches = fig.dpi_scale_trans
    rows = [list(enumerate(names))[i : i + 3] for i in range(0, len(names), 3)]
    for r, row in enumerate(rows):
        y = LEGEND_ROW_IN * (len(rows) - r) - LEGEND_ROW_IN / 2
        widths = [HANDLE_PT + LEGEND_GAP_PT + _text_size(name, prop, False)[0] for _, name in row]
        x = (fig.get_figwidth() * 72 - sum(widths) - LEGEND_SEP_PT * (len(row) - 1)) / 2
        for (n, name), width in zip(row, widths, strict=True):
            left, right = x / 72, (x + HANDLE_PT) / 72
            fig.add_artist(
                Line2D(
                    [left, (left + right) / 2, right],
                    [y, y, y],
                    transform=inches,
                    markevery=[1],
                    **_series_style(n),
                )
            )
            fig.text((x + HANDLE_PT + LEGEND_GAP_PT) / 72, y, name, transform=inches, va="center")
            x += width + LEGEND_SEP_PT


def _draw_lines(chart: Chart) -> Figure:
    title = _wrap_title(chart.title)
    top_value = max([0, *(v for s in chart.series for v in s.values if v is not None)])
    legend_rows = -(-len(chart.series) // 3)
    fig, ax = _figure(
        2.7 + LEGEND_ROW_IN * legend_rows,
        left_in=0.2 + _text_width_in(len(chart.format(top_value)) + 1),
        bottom_in=0.65 + LEGEND_ROW_IN * legend_rows,
        title_lines=title.count("\n") + 1,
    )
    _title(fig, title)
    positions = list(range(len(chart.labels)))
    top = 0.0
    for n, series in enumerate(chart.series):
        values = [v if v is not None else float("nan") for v in series.values]
        top = max([top, *(v for v in series.values if v is not None)])
        ax.plot(positions, values, label=series.name, zorder=3 + n, **_series_style(n))
    _no_ticks(ax)
    _time_ticks(ax, chart.labels)
    limits = _value_limits(chart.unit, top)
    ax.set_ylim(*limits)
    _value_ticks(ax, chart.unit, *limits, along="y")
    _legend(fig, [series.name for series in chart.series])
    return fig


DRAW = {"bars": _draw_bars, "columns": _draw_columns, "lines": _draw_lines}


def render(chart: Chart) -> str:
    fig = _no_data(chart) if chart.empty else DRAW[chart.kind](chart)
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return _clean_svg(out.getvalue(), chart)


# --- Making matplotlib's SVG fit a strict Content-Security-Policy ------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)
_FONT = re.compile(
    r"(?:(?P<style>italic|oblique|normal)\s+)?(?:(?P<weight>bold|normal|\d{3})\s+)?"
    r"(?P<size>[\d.]+)px\s+(?P<family>.+)"
)
_URL = re.compile(r"url\(#([^)]+)\)")


def _style_to_attributes(element: ET.Element) -> None:
    style = element.attrib.pop("style", "")
    for declaration in style.split(";"):
        name, _, value = (p.strip() for p in declaration.partition(":"))
        if not name or not value:
            continue
        if name == "font":
            match = _FONT.match(value)
            if match:
                element.set("font-size", match["size"])
                if match["weight"] and match["weight"] != "normal":
                    element.set("font-weight", match["weight"])
                if match["style"] and match["style"] != "normal":
                    element.set("font-style", match["style"])
            element.set("font-family", WEB_FONTS)
        elif name == "font-family":
            element.set("font-family", WEB_FONTS)
        else:
            element.set(name, value)


def _clean_svg(svg: str, chart: Chart) -> str:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not user input
    prefix = f"{chart.chart_id}-"
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag.rpartition("}")[2]
            if tag in ("style", "metadata"):
                parent.remove(child)
    for element in root.iter():
        _style_to_attributes(element)
        if "id" in element.attrib:
            element.set("id", prefix + element.attrib["id"])
        for name, value in list(element.attrib.items()):
            if "url(#" in value:
                element.set(name, _URL.sub(lambda m: f"url(#{prefix}{m[1]})", value))
            elif name.endswith("href") and value.startswith("#"):
                element.set(name, "#" + prefix + value[1:])
    # What the removed <style> said, as inherited presentation attributes.
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    # The viewBox stays: the page's CSS sets the width and the drawing scales with it.
    root.attrib.pop("width", None)
    root.attrib.pop("height", None)
    root.set("class", "chart")
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart.chart_id}-title")
    title = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{chart.chart_id}-title"})
    title.text = chart.title
    root.insert(0, title)
    return ET.tostring(root, encoding="unicode")
