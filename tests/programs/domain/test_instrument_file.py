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

    def line_of(fragment):
        return next(n for n, t in enumerate(lines, 1) if fragment in t)

    assert any("formula" in m for m in by_line[line_of("HYPERLINK")])
    # Each problem is on the line of its own field, not the line its item starts on.
    assert "“subscale”" in " ".join(by_line[line_of('"nope"')])
    assert "“reverse_scored”" in " ".join(by_line[line_of('"yes"')])
    assert "“answered_by”" in " ".join(by_line[line_of('"dean"')])


def test_a_misspelt_field_is_named_on_its_line_not_dropped():
    bad = dict(GOOD)
    bad["items"] = [{"text": "Meetings slip.", "subscale": "time", "reverse_score": True}]
    bad["scale"] = {"min": 1, "max": 5, "label": []}
    text = _bytes(bad)
    with pytest.raises(InstrumentFileError) as e:
        read_instrument(text)
    lines = text.decode().splitlines()
    found = {m: n for n, m in e.value.problems}
    item_message = next(m for m in found if "“reverse_score”" in m)
    assert "item 1" in item_message
    assert "reverse_scored" in item_message
    assert "reverse_score" in lines[found[item_message] - 1]
    scale_message = next(m for m in found if "“label”" in m)
    assert '"label"' in lines[found[scale_message] - 1]


def test_version_and_scale_must_be_whole_numbers_not_true():
    bad = {**GOOD, "version": True, "scale": {"min": True, "max": 5.0}}
    with pytest.raises(InstrumentFileError) as e:
        read_instrument(_bytes(bad))
    text = " ".join(m for _, m in e.value.problems)
    assert "“version” must be 1" in text
    assert "scale.min" in text
    assert "scale.max" in text


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


DOCS = Path(__file__).resolve().parents[3] / "docs/review-instruments.md"


def test_the_documented_example_imports():
    doc = DOCS.read_text()
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    spec = read_instrument(example.encode())
    assert spec.subscales == {"reciprocity": "Reciprocity", "communication": "Communication"}
    assert [i.reverse_scored for i in spec.items] == [False, True]


def test_the_documented_fields_are_the_fields_the_import_reads():
    from programs.domain.instrument_file import (
        ITEM_FIELDS,
        ROOT_FIELDS,
        SCALE_FIELDS,
        SUBSCALE_FIELDS,
    )

    rows = [line for line in DOCS.read_text().splitlines() if line.startswith("| `")]
    documented = {line.split("`")[1] for line in rows}
    expected = (
        set(ROOT_FIELDS)
        | {f"scale.{f}" for f in SCALE_FIELDS}
        | {f"subscales[].{f}" for f in SUBSCALE_FIELDS}
        | {f"items[].{f}" for f in ITEM_FIELDS}
    )
    assert documented == expected
