"""The instrument file: what it accepts, every problem with its line, and a round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from programs.domain.instrument_file import InstrumentFileError, read_instrument, write_instrument
from programs.domain.review_scores import subscale_means

SHIPPED = Path(__file__).resolve().parents[3] / "programs/instruments/relationship-check-up.json"

GOOD = {
    "format": "mentorship-review-instrument",
    "version": 1,
    "name": "Test instrument",
    "scale": {"min": 1, "max": 5, "labels": []},
    "subscales": [{"key": "trust", "name": "Trust"}, {"key": "time", "name": "Time"}],
    "items": [
        {"text": "We trust each other.", "subscale": "trust"},
        {
            "text": "Meetings slip.",
            "subscale": "time",
            "reverse_scored": True,
            "answered_by": "mentee",
        },
    ],
}


def _bytes(obj) -> bytes:
    return json.dumps(obj, indent=2).encode()


def test_a_good_file_reads_with_its_subscales_and_reverse_items():
    spec = read_instrument(_bytes(GOOD))
    assert spec.subscales == {"trust": "Trust", "time": "Time"}
    assert [(i.subscale, i.reverse_scored, i.answered_by) for i in spec.items] == [
        ("trust", False, "both"),
        ("time", True, "mentee"),
    ]


def test_writing_then_reading_gives_the_same_instrument():
    spec = read_instrument(_bytes(GOOD))
    assert read_instrument(write_instrument(spec).encode()) == spec


def test_every_problem_is_reported_on_its_line():
    bad = dict(GOOD)
    bad["items"] = [
        {"text": "=HYPERLINK()", "subscale": "trust"},
        {"text": "Fine.", "subscale": "nope", "reverse_scored": "yes", "answered_by": "dean"},
    ]
    text = _bytes(bad)
    with pytest.raises(InstrumentFileError) as e:
        read_instrument(text)
    lines = text.decode().splitlines()
    by_line = {}
    for line, message in e.value.problems:
        by_line.setdefault(line, []).append(message)
    formula_line = next(n for n, t in enumerate(lines, 1) if "HYPERLINK" in t) - 1
    assert any("formula" in m for m in by_line[formula_line])
    second = next(n for n, t in enumerate(lines, 1) if '"Fine."' in t) - 1
    messages = " ".join(by_line[second])
    assert "subscale" in messages
    assert "reverse_scored" in messages
    assert "answered_by" in messages


def test_json_syntax_errors_name_the_line():
    with pytest.raises(InstrumentFileError) as e:
        read_instrument(b'{\n  "format": "x",\n  "name": \n}')
    assert e.value.problems[0][0] == 4
    assert "Not valid JSON" in e.value.problems[0][1]


def test_missing_fields_and_a_wrong_scale_are_explained():
    with pytest.raises(InstrumentFileError) as e:
        read_instrument(
            b'{"format": "mentorship-review-instrument", "version": 1, '
            b'"scale": {"min": 0, "max": 50, "labels": ["a"]}, "items": []}'
        )
    text = " ".join(m for _, m in e.value.problems)
    assert "“name” is missing" in text
    assert "scale.min" in text
    assert "scale.max" in text
    assert "“items” must be a list" in text


def test_the_shipped_instrument_file_is_valid():
    spec = read_instrument(SHIPPED.read_bytes())
    assert spec.name == "Relationship check-up"
    assert "Straus" in spec.citation
    assert spec.licence


def test_subscale_means_reverse_warning_items_and_place_on_five_points():
    means = subscale_means(
        [("trust", 5, False), ("trust", 3, False), ("time", 5, True), ("time", None, True)],
        scale_min=1,
        scale_max=5,
    )
    assert means == {"trust": 4, "time": 1}
    assert subscale_means([("a", 7, False)], scale_min=1, scale_max=7) == {"a": 5}
