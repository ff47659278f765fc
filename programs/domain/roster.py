"""Reading a roster file (CSV or XLSX) into rows, refusing anything that is not one.

Pure functions over bytes: no database. The checks against the institution's data and the
import itself are in `programs.services.roster`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

MAX_ROWS = 10_000
MAX_COLUMNS = 60

# Our name for each column, and the headings people actually use for it.
COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("email", "email address", "e-mail", "e-mail address"),
    "given_name": ("given name", "first name", "given names", "forename"),
    "family_name": ("family name", "last name", "surname"),
    "department": ("department", "dept"),
    "division": ("division",),
    "rank": ("rank", "academic rank"),
    "stream": ("stream", "academic stream", "career stream"),
    "reports_to": (
        "reporting line email",
        "reporting line",
        "reports to",
        "reports to email",
        "supervisor email",
    ),
    "employee_id": ("employee id", "employee number", "employee no", "staff id", "employee_id"),
    "role": ("role in program", "program role", "role"),
    "cohort": ("cohort",),
    "rank_since": (
        "rank since",
        "rank effective date",
        "rank effective",
        "date of rank",
        "promotion date",
    ),
    "left_on": ("left on", "departure date", "left the faculty", "date left", "end of appointment"),
}
REQUIRED = ("email", "given_name", "family_name", "department", "rank", "stream")
LABELS = {
    "email": "email",
    "given_name": "given name",
    "family_name": "family name",
    "department": "department",
    "division": "division",
    "rank": "rank",
    "stream": "stream",
    "reports_to": "reporting line email",
    "employee_id": "employee id",
    "role": "role in program",
    "cohort": "cohort",
    "rank_since": "rank since",
    "left_on": "left on",
}


class RosterFileError(Exception):
    """Why the file cannot be read as a roster, in words for the person who uploaded it."""


@dataclass
class ParsedRoster:
    columns: list[str]  # our names, in the file's order
    ignored: list[str]  # headings we did not recognise
    rows: list[dict[str, Any]]  # {"row": spreadsheet row number, "email": ..., ...}
    kind: str  # "csv" or "xlsx"


def _heading(value: Any) -> str:
    text = re.sub(r"[\s_]+", " ", str(value or "")).strip().casefold()
    return text.rstrip(":* ")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return " ".join(str(value).split())


def sniff(data: bytes, file_name: str = "") -> str:
    """ "csv" or "xlsx", judged by the content (the name's extension is only a hint)."""
    if not data or not data.strip():
        raise RosterFileError("The file is empty.")
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            raise RosterFileError(
                "The file looks like an Excel workbook but is damaged. Save it again as .xlsx "
                "or CSV."
            ) from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if any(n.startswith("word/") for n in names):
            raise RosterFileError(
                "This is a Word document, not a spreadsheet. Upload CSV or .xlsx."
            )
        raise RosterFileError("This is a ZIP archive, not a spreadsheet. Upload CSV or .xlsx.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError(
            "This is an old-style Excel file (.xls). Open it in Excel and save it as .xlsx "
            "or CSV, then upload that."
        )
    if head.startswith(b"%PDF"):
        raise RosterFileError("This is a PDF, not a spreadsheet. Upload CSV or .xlsx.")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise RosterFileError("This is an image, not a spreadsheet. Upload CSV or .xlsx.")
    if b"\x00" in data[:4096]:
        raise RosterFileError(
            "This file is not a spreadsheet we can read (it is not text). Upload CSV or .xlsx."
        )
    return "csv"


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the Windows code page.
        return data.decode("cp1252", errors="replace")


def _csv_rows(data: bytes) -> list[list[str]]:
    text = _decode(data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as e:
        raise RosterFileError(f"The CSV file could not be read: {e}.") from None
    return rows


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged or odd workbook
        raise RosterFileError(
            "The Excel file could not be read. Save it again as .xlsx or CSV."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def read_roster(data: bytes, file_name: str = "") -> ParsedRoster:
    kind = sniff(data, file_name)
    raw = _csv_rows(data) if kind == "csv" else _xlsx_rows(data)
    # Leading blank lines are skipped; the first non-blank row is the heading.
    blank = 0
    while raw and not any(_cell(v) for v in raw[0]):
        raw.pop(0)
        blank += 1
    if not raw:
        raise RosterFileError("The file is empty.")
    header_offset = 1 + blank
    headings = [_heading(v) for v in raw[0]]
    aliases = {alias: name for name, names in COLUMNS.items() for alias in names}
    columns: list[str | None] = []
    ignored = []
    seen: set[str] = set()
    for heading in headings:
        name = aliases.get(heading)
        if name is None or name in seen:
            columns.append(None)
            if heading:
                ignored.append(heading)
        else:
            columns.append(name)
            seen.add(name)
    missing = [LABELS[c] for c in REQUIRED if c not in seen]
    if missing:
        found = ", ".join(h for h in headings if h) or "none"
        raise RosterFileError(
            f"The first row must name the columns. Missing: {', '.join(missing)}. Found: {found}."
        )
    body = raw[1:]
    if len(body) > MAX_ROWS:
        raise RosterFileError(
            f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files."
        )
    rows = []
    for offset, values in enumerate(body, start=header_offset + 1):
        cells = {name: _cell(v) for name, v in zip(columns, values, strict=False) if name}
        if not any(cells.values()):
            continue
        rows.append({"row": offset, **{name: cells.get(name, "") for name in seen}})
    if not rows:
        raise RosterFileError("The file has a heading row but no people in it.")
    return ParsedRoster(columns=[c for c in columns if c], ignored=ignored, rows=rows, kind=kind)
