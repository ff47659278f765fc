"""Reading an attendance sheet (CSV or XLSX): one row per person who attended, found by email.
Pure, no Django; refuses the same files and cells the roster import refuses (formulas, markup).
`programs.services.training.attendance_import` checks the people against the program."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from programs.domain.roster import (
    MAX_ROWS,
    RosterFileError,
    _cell,
    _csv_rows,
    _heading,
    _xlsx_rows,
    sniff,
)
from programs.domain.validators import FORMULA_STARTS, TAG_LIKE

EMAIL_HEADINGS = ("email", "email address", "e-mail", "e-mail address", "attendee email")
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AttendanceFileError(RosterFileError):
    """Why the file cannot be read as an attendance sheet."""


@dataclass
class AttendanceRow:
    row: int  # the spreadsheet's row number
    email: str
    errors: list[str] = field(default_factory=list)


def read_attendance(data: bytes, file_name: str = "") -> list[AttendanceRow]:
    """The rows of the sheet's email column, each with the errors found in the cell alone."""
    kind = sniff(data, file_name)
    raw = _csv_rows(data) if kind == "csv" else _xlsx_rows(data)
    blank = 0
    while raw and not any(_cell(v) for v in raw[0]):
        raw.pop(0)
        blank += 1
    if not raw:
        raise AttendanceFileError("The file is empty.")
    headings = [_heading(v) for v in raw[0]]
    column = next((i for i, h in enumerate(headings) if h in EMAIL_HEADINGS), None)
    if column is None:
        raise AttendanceFileError(
            "The first row needs a column headed “Email” with each attendee's email address."
        )
    if len(raw) - 1 > MAX_ROWS:
        raise AttendanceFileError(f"The file has more than {MAX_ROWS:,} rows.")
    rows = []
    for number, values in enumerate(raw[1:], start=2 + blank):
        value = _cell(values[column]) if column < len(values) else ""
        if not value and not any(_cell(v) for v in values):
            continue  # a blank line
        rows.append(AttendanceRow(number, value.lower(), _cell_errors(value)))
    if not rows:
        raise AttendanceFileError("The file has a heading but no attendees.")
    return rows


def _cell_errors(value: str) -> list[str]:
    if not value:
        return ["The email is missing."]
    if value.startswith(FORMULA_STARTS):
        return ["This cell starts with =, +, - or @ (a spreadsheet formula): refused."]
    if TAG_LIKE.search(value):
        return ["This cell contains markup (text between < and >): refused."]
    if not EMAIL_SHAPE.fullmatch(value):
        return [f"“{value}” is not an email address."]
    return []
