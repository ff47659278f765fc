"""The charts people read: whole-number ticks for counts, 0–100 % for percentages, a "no data
yet" state, a colour-blind safe palette with a second encoding, legible text, and SVG that a
strict Content-Security-Policy lets through (no style attributes, no <style>)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from mentorship import charts

MONTHS = [
    f"{m} 2026"
    for m in ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
]
NS = {"svg": "http://www.w3.org/2000/svg"}


def texts(chart: charts.Chart) -> list[str]:
    root = ET.fromstring(chart.svg_text)  # noqa: S314 - our own drawing
    return ["".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_counts_get_whole_number_ticks():
    chart = charts.columns(title="Meetings", labels=MONTHS[:3], values=[1, 3, 2], name="Meetings")
    numbers = [t for t in texts(chart) if re.fullmatch(r"[\d.,]+", t)]
    assert numbers
    assert all("." not in n for n in numbers)


def test_a_percentage_axis_runs_from_0_to_100():
    chart = charts.bars(
        title="Match rate", labels=["A", "B"], values=[5, 9], name="Rate", unit="percent"
    )
    found = texts(chart)
    assert "0%" in found
    assert "100%" in found


def test_an_empty_chart_says_no_data_yet():
    chart = charts.columns(title="Meetings", labels=MONTHS, values=[0] * 12, name="Meetings")
    assert chart.empty
    assert charts.NO_DATA in texts(chart)
    assert chart.summary.startswith(charts.NO_DATA)


def test_a_chart_without_groups_says_no_data_yet():
    chart = charts.bars(title="Match rate", labels=[], values=[], name="Rate", unit="percent")
    assert charts.NO_DATA in texts(chart)


def test_the_svg_carries_no_style_attribute_or_element():
    chart = charts.lines(
        title="Stages", labels=MONTHS, series={"Open": [1] * 12, "Ended": [2] * 12}
    )
    svg = chart.svg_text
    assert "style=" not in svg
    assert "<style" not in svg
    assert 'role="img"' in svg
    assert f'aria-labelledby="{chart.chart_id}-title"' in svg


def test_two_charts_on_one_page_share_no_id():
    a = charts.columns(title="A", labels=MONTHS, values=list(range(12)), name="M")
    b = charts.columns(title="A", labels=MONTHS, values=list(range(12)), name="M")
    ids = lambda svg: set(re.findall(r' id="([^"]+)"', svg))  # noqa: E731
    assert ids(a.svg_text).isdisjoint(ids(b.svg_text))


def test_text_stays_legible_on_a_phone():
    """At 320 px the 374-unit drawing is scaled by 0.86: 13 units read at about 11 px."""
    chart = charts.bars(title="Rate", labels=["Professor"], values=[50], name="R", unit="percent")
    root = ET.fromstring(chart.svg_text)  # noqa: S314 - our own drawing
    width = float(root.attrib["viewBox"].split()[2])
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)(?:px)?"', chart.svg_text)]
    assert sizes
    assert min(sizes) * 320 / width >= 10


def test_each_series_has_its_own_colour_marker_and_line_style():
    chart = charts.lines(
        title="Stages", labels=MONTHS, series={"Open": [3] * 12, "Concluded": [1] * 12}
    )
    svg = chart.svg_text
    assert charts.PALETTE[0].lower() in svg.lower()
    assert charts.PALETTE[1].lower() in svg.lower()
    assert "stroke-dasharray" in svg  # the second series is dashed
    assert {"Open", "Concluded"} <= set(texts(chart))


def test_long_group_labels_are_wrapped_not_cut():
    label = "Associate Professor of Clinical Medicine"
    chart = charts.bars(title="Rate", labels=[label], values=[40], name="R", unit="percent")
    assert " ".join(" ".join(texts(chart)).split()).find("Associate Professor of") >= 0
    assert any("Clinical" in t for t in texts(chart))


def test_a_hidden_cell_is_written_out_never_drawn_as_a_number():
    chart = charts.bars(
        title="Rate",
        labels=["A", "B"],
        values=[None, 60],
        name="R",
        unit="percent",
        hidden_text="fewer than 5",
    )
    assert "fewer than 5" in texts(chart)
    assert chart.rows == [["A", "fewer than 5"], ["B", "60%"]]
    assert "1 value hidden" in chart.summary


def test_the_summary_says_what_the_chart_shows():
    chart = charts.bars(
        title="Rate", labels=["A", "B", "C"], values=[20, 80, 50], name="R", unit="percent"
    )
    assert chart.summary == "highest B (80%), lowest A (20%)."


def test_labels_are_escaped():
    chart = charts.bars(title="<b>x</b>", labels=["<script>"], values=[1], name="R")
    assert "<script>" not in chart.svg_text
    assert "&lt;script&gt;" in chart.svg_text


def test_a_series_of_zeros_is_summarised_as_none():
    chart = charts.lines(
        title="Stages", labels=MONTHS[:3], series={"Open": [1, 2, 3], "Ended early": [0, 0, 0]}
    )
    assert "Ended early: none." in chart.summary
