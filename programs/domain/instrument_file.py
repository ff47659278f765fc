"""Review instruments as data: reading and writing the JSON file format documented in
`docs/review-instruments.md`. Pure, no Django. Every problem found is reported with the line of
the file it is on, so a director can fix the file in any text editor.

Subscales are the existing items' `construct`; a reverse-scored item is a warning sign
(`polarity = "warning"`: agreeing lowers the score); `answered_by` says which side answers it."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from dataclasses import dataclass, field
from typing import Any, TypeGuard

FORMAT = "mentorship-review-instrument"
VERSION = 1
MIN_SCALE, MAX_SCALE = 3, 10  # as the editor (services.reviews)
MAX_ITEMS = 40
MAX_BYTES = 200_000
ANSWERED_BY = ("both", "mentee", "mentor")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TAG_LIKE = re.compile(r"<\s*[a-zA-Z/!?]")
FORMULA_STARTS = ("=", "+", "-", "@")


class InstrumentFileError(Exception):
    """The file cannot be imported: `problems` lists (line, message), line 0 for the file."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {n}: {m}" for n, m in problems))
        self.problems = problems


@dataclass(frozen=True)
class ItemSpec:
    text: str
    subscale: str
    reverse_scored: bool
    answered_by: str


@dataclass(frozen=True)
class InstrumentSpec:
    name: str
    description: str
    citation: str
    licence: str
    scale_min: int
    scale_max: int
    scale_labels: list[str]
    subscales: dict[str, str]  # key -> name, in the file's order
    items: list[ItemSpec] = field(default_factory=list)


ROOT_FIELDS = frozenset(
    {
        "format",
        "version",
        "name",
        "description",
        "citation",
        "licence",
        "scale",
        "subscales",
        "items",
    }
)
SCALE_FIELDS = frozenset({"min", "max", "labels"})
SUBSCALE_FIELDS = frozenset({"key", "name"})
ITEM_FIELDS = frozenset({"text", "subscale", "reverse_scored", "answered_by"})


class _Located(dict):
    line: int = 0
    key_lines: dict[str, int]


def _key_lines(text: str, start: int, stop: int, first_line: int) -> dict[str, int]:
    """The line of each key of the object spanning text[start:stop] (its own keys, not those of
    objects inside it): a string at the object's own depth followed by a colon is a key."""
    lines: dict[str, int] = {}
    depth, line, i = 0, first_line, start
    while i < stop:
        char = text[i]
        if char == "\n":
            line += 1
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == '"':
            close = i + 1
            while text[close] != '"':
                close += 2 if text[close] == "\\" else 1
            after = close + 1
            while after < stop and text[after] in " \t\r\n":
                after += 1
            if depth == 0 and after < stop and text[after] == ":":
                lines.setdefault(json.loads(text[i : close + 1]), line)
            line += text.count("\n", i, close)
            i = close
        i += 1
    return lines


def _line_of(obj: Any, key: str, default: int) -> int:
    return getattr(obj, "key_lines", {}).get(key, getattr(obj, "line", default))


def _unknown_fields(
    problems: list[tuple[int, str]], obj: dict, known: frozenset[str], where: str
) -> None:
    """A misspelt field (say `reverse_score`) would otherwise be dropped without a word."""
    for key in obj:
        if key not in known:
            problems.append(
                (
                    _line_of(obj, key, 0),
                    f"Unknown field “{key}” in {where}; the fields are "
                    + ", ".join(sorted(known))
                    + ".",
                )
            )


def _decoder() -> json.JSONDecoder:
    """A decoder whose objects remember the line they start on and the line of each of their
    keys (the pure-Python scanner calls `parse_object`, which the C one does not)."""
    decoder = json.JSONDecoder()

    def parse_object(s_and_end: tuple[str, int], *args: Any, **kwargs: Any) -> tuple[Any, int]:
        text, end = s_and_end
        obj, new_end = json.decoder.JSONObject(s_and_end, *args, **kwargs)  # type: ignore[attr-defined]
        located = _Located(obj)
        located.line = text.count("\n", 0, end) + 1
        located.key_lines = _key_lines(text, end, new_end - 1, located.line)
        return located, new_end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder


def _text(
    problems: list[tuple[int, str]], line: int, obj: dict, key: str, *, required: bool, limit: int
) -> str:
    value = obj.get(key, "")
    line = _line_of(obj, key, line)
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append((line, f"“{key}” must be text."))
        return ""
    value = value.strip()
    if required and not value:
        problems.append((line, f"“{key}” is missing."))
    elif len(value) > limit:
        problems.append((line, f"“{key}” has {len(value)} characters; at most {limit}."))
    elif TAG_LIKE.search(value):
        problems.append((line, f"“{key}” contains markup (text between < and >): plain text only."))
    elif value.startswith(FORMULA_STARTS):
        problems.append((line, f"“{key}” starts with =, +, - or @ (a spreadsheet formula)."))
    return value


def read_instrument(data: bytes) -> InstrumentSpec:
    """The instrument in the file, or InstrumentFileError listing every problem by line."""
    if len(data) > MAX_BYTES:
        raise InstrumentFileError([(0, f"The file is larger than {MAX_BYTES // 1000} kB.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InstrumentFileError([(0, "The file is not UTF-8 text.")]) from None
    try:
        root = _decoder().decode(text)
    except json.JSONDecodeError as e:
        raise InstrumentFileError(
            [(e.lineno, f"Not valid JSON: {e.msg} (column {e.colno}).")]
        ) from None
    if not isinstance(root, dict):
        raise InstrumentFileError([(1, "The file must hold one JSON object ({ … }).")])
    problems: list[tuple[int, str]] = []
    line = getattr(root, "line", 1)
    _unknown_fields(problems, root, ROOT_FIELDS, "the file")
    if root.get("format") != FORMAT:
        problems.append((_line_of(root, "format", line), f"“format” must be “{FORMAT}”."))
    if not _whole(root.get("version")) or root.get("version") != VERSION:
        problems.append((_line_of(root, "version", line), f"“version” must be {VERSION}."))
    name = _text(problems, line, root, "name", required=True, limit=160)
    description = _text(problems, line, root, "description", required=False, limit=2000)
    citation = _text(problems, line, root, "citation", required=False, limit=300)
    licence = _text(problems, line, root, "licence", required=False, limit=300)
    scale_min, scale_max, labels = _scale(problems, root, line)
    subscales = _subscales(problems, root, line)
    items = _items(problems, root, line, subscales)
    if problems:
        raise InstrumentFileError(sorted(problems))
    return InstrumentSpec(
        name, description, citation, licence, scale_min, scale_max, labels, subscales, items
    )


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _scale(problems: list[tuple[int, str]], root: dict, line: int) -> tuple[int, int, list[str]]:
    scale = root.get("scale")
    if not isinstance(scale, dict):
        problems.append(
            (
                _line_of(root, "scale", line),
                '“scale” is missing: give { "min": 1, "max": 5, "labels": […] }.',
            )
        )
        return 1, 5, []
    at = getattr(scale, "line", line)
    _unknown_fields(problems, scale, SCALE_FIELDS, "“scale”")
    low, asked = scale.get("min"), scale.get("max")
    if not _whole(low) or low != 1:
        problems.append((_line_of(scale, "min", at), "“scale.min” must be 1."))
    high = asked if _whole(asked) and MIN_SCALE <= asked <= MAX_SCALE else 0
    if not high:
        problems.append(
            (
                _line_of(scale, "max", at),
                f"“scale.max” must be a whole number from {MIN_SCALE} to {MAX_SCALE}.",
            )
        )
        high = 5
    labels = scale.get("labels", [])
    labels_at = _line_of(scale, "labels", at)
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        problems.append((labels_at, "“scale.labels” must be a list of texts."))
        labels = []
    elif labels and len(labels) != high:
        problems.append(
            (
                labels_at,
                f"“scale.labels” has {len(labels)} labels; give one per point ({high}) or none.",
            )
        )
    for label in labels:
        _text(problems, labels_at, {"label": label}, "label", required=True, limit=60)
    return 1, high, [x.strip() for x in labels]


def _subscales(problems: list[tuple[int, str]], root: dict, line: int) -> dict[str, str]:
    raw = root.get("subscales", [])
    if not isinstance(raw, list):
        problems.append((line, '“subscales” must be a list of { "key": …, "name": … }.'))
        return {}
    found: dict[str, str] = {}
    for entry in raw:
        at = getattr(entry, "line", line)
        if not isinstance(entry, dict):
            problems.append((at, 'Each subscale is { "key": …, "name": … }.'))
            continue
        _unknown_fields(problems, entry, SUBSCALE_FIELDS, "a subscale")
        key = entry.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            problems.append(
                (
                    _line_of(entry, "key", at),
                    "A subscale “key” is lower-case letters, digits and _ (at most 40), "
                    "starting with a letter.",
                )
            )
            continue
        if key in found:
            problems.append((_line_of(entry, "key", at), f"The subscale “{key}” is listed twice."))
        found[key] = _text(problems, at, entry, "name", required=True, limit=80)
    return found


def _items(
    problems: list[tuple[int, str]], root: dict, line: int, subscales: dict[str, str]
) -> list[ItemSpec]:
    raw = root.get("items")
    if not isinstance(raw, list) or not raw:
        problems.append((line, "“items” must be a list of at least one item."))
        return []
    if len(raw) > MAX_ITEMS:
        problems.append(
            (line, f"An instrument has at most {MAX_ITEMS} items; this has {len(raw)}.")
        )
    items = []
    for number, entry in enumerate(raw, start=1):
        at = getattr(entry, "line", line)
        if not isinstance(entry, dict):
            problems.append((at, f'Item {number} must be an object {{ "text": … }}.'))
            continue
        _unknown_fields(problems, entry, ITEM_FIELDS, f"item {number}")
        text = _text(problems, at, entry, "text", required=True, limit=300)
        subscale = entry.get("subscale", "general")
        subscale_at = _line_of(entry, "subscale", at)
        if not isinstance(subscale, str) or (subscales and subscale not in subscales):
            known = ", ".join(subscales) or "none"
            problems.append(
                (subscale_at, f"Item {number}: “subscale” must be one of the subscales ({known}).")
            )
        elif not subscales and not KEY.match(subscale):
            problems.append(
                (subscale_at, f"Item {number}: “subscale” is lower-case letters, digits and _.")
            )
        reverse = entry.get("reverse_scored", False)
        if not isinstance(reverse, bool):
            problems.append(
                (
                    _line_of(entry, "reverse_scored", at),
                    f"Item {number}: “reverse_scored” is true or false.",
                )
            )
            reverse = False
        answered_by = entry.get("answered_by", "both")
        if answered_by not in ANSWERED_BY:
            problems.append(
                (
                    _line_of(entry, "answered_by", at),
                    f"Item {number}: “answered_by” is one of both, mentee, mentor.",
                )
            )
            answered_by = "both"
        items.append(ItemSpec(text, str(subscale), reverse, answered_by))
    return items


def write_instrument(spec: InstrumentSpec) -> str:
    """The instrument as a file `read_instrument` reads back unchanged."""
    return (
        json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "name": spec.name,
                "description": spec.description,
                "citation": spec.citation,
                "licence": spec.licence,
                "scale": {"min": 1, "max": spec.scale_max, "labels": spec.scale_labels},
                "subscales": [{"key": k, "name": n} for k, n in spec.subscales.items()],
                "items": [
                    {
                        "text": i.text,
                        "subscale": i.subscale,
                        "reverse_scored": i.reverse_scored,
                        "answered_by": i.answered_by,
                    }
                    for i in spec.items
                ],
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
