"""Writing a report to CSV, XLSX or PDF — row by row, never the whole file in memory.

Every text cell goes through `reports.neutralise` (spreadsheet formula injection). Numbers stay
numbers: in XLSX a percentage is a number formatted 0%, a score 0.0, a date a date. Each format
follows the report's order: the one-page summary, then the charts (PDF), then the tables.

- CSV: written incrementally to a file object.
- XLSX: xlsxwriter in constant-memory mode (rows are streamed to disk; three times faster than
  openpyxl's write-only workbook on a program of 5,000): a Summary sheet, then one sheet per
  table with its header frozen, a filter on it and columns sized to their contents.
- PDF: reportlab's platypus, A4 portrait: the summary on page 1, the contents on page 2 (with
  PDF bookmarks for every part), then each section's charts — the same matplotlib drawing as
  the pages, placed as vector graphics by svglib — then its tables; a header naming the
  institution and program and a footer with the period, the generation time and "Page n of N"
  on every page. The long lists of people and relationships are in the CSV and XLSX only."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import IO, Any

from programs.domain.small_cells import SMALL_CELL
from programs.exports.reports import Percent, Report, Section, Table, neutralise, text_of

Progress = Callable[[float], None]


def _noop(_: float) -> None:
    return None


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Percent | float | dt.date | bool):
        return text_of(value).replace(",", "")
    return neutralise(value)


def _cells(row: Sequence[Any]) -> list[Any]:
    return [_csv_cell(v) for v in row]


def _tables(report: Report) -> Iterator[tuple[Section, Table]]:
    for section in report.all_sections:
        for table in section.tables:
            yield section, table


def _heading_lines(report: Report) -> list[list[str]]:
    return [
        [report.title],
        ["Institution", report.institution],
        ["Program", report.program],
        ["Period", report.period],
        ["Generated", report.generated],
    ]


def write_csv(report: Report, out: IO[str], progress: Progress = _noop) -> None:
    writer = csv.writer(out)
    for line in _heading_lines(report):
        writer.writerow(_cells(line))
    writer.writerow([])
    if report.summary:
        writer.writerow(_cells([report.summary.title]))
        writer.writerow(["Figure", "Value", "Detail"])
        for figure in report.summary.figures:
            writer.writerow(_cells([figure.label, figure.value, figure.detail]))
        writer.writerow([])
    tables = list(_tables(report))
    for n, (section, table) in enumerate(tables, start=1):
        writer.writerow(_cells([f"{section.title}: {table.title}"]))
        writer.writerow(_cells(table.columns))
        for row in table.rows:
            writer.writerow(_cells(row))
        if table.note:
            writer.writerow(_cells([table.note]))
        writer.writerow([])
        progress(n / len(tables))


# --- XLSX ----------------------------------------------------------------------------------------

SHEET_NAME_MAX = 31  # Excel's limit
FORBIDDEN_IN_SHEET_NAMES = "[]:*?/\\"


def sheet_title(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts (at most 31 characters, none of []:*?/\\), unique in the
    workbook (case-insensitively, as Excel compares them): a clash gets " (2)", " (3)" …"""
    clean = " ".join("".join(c for c in title if c not in FORBIDDEN_IN_SHEET_NAMES).split())
    clean = clean.strip("'") or "Sheet"
    name, n = clean[:SHEET_NAME_MAX].rstrip(), 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name = clean[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
        n += 1
    used.add(name.casefold())
    return name


NUMBER_FORMATS = {Percent: "0%", float: "0.0", int: "#,##0", dt.date: "yyyy-mm-dd"}
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
SAMPLE_ROWS = 500  # rows read ahead to size a sheet's columns (the rest stream after them)


def _typed(value: Any) -> tuple[Any, str | None]:
    """The value as the spreadsheet should store it, and its number format."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return ("yes" if value else "no"), None
    if isinstance(value, Percent):
        return float(value), NUMBER_FORMATS[Percent]
    if isinstance(value, float):
        return value, NUMBER_FORMATS[float]
    if isinstance(value, int):
        return value, NUMBER_FORMATS[int]
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None), DATETIME_FORMAT
    if isinstance(value, dt.date):
        return value, NUMBER_FORMATS[dt.date]
    return neutralise(str(value)), None


def _width(value: Any) -> int:
    if isinstance(value, dt.date):
        return 11
    return min(60, len(text_of(value)) + 2)


class _XlsxWriter:
    """xlsxwriter in constant-memory mode: each row goes to disk as it is written. Every cell is
    written by its type (`write_string`, never `write`), so no text is ever read as a formula
    or a link, whatever it starts with."""

    def __init__(self, path: str) -> None:
        import xlsxwriter

        self.workbook = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.formats = {
            number_format: self.workbook.add_format({"num_format": number_format})
            for number_format in (*NUMBER_FORMATS.values(), DATETIME_FORMAT)
        }
        self.bold = self.workbook.add_format({"bold": True})
        self.title_font = self.workbook.add_format({"bold": True, "font_size": 14})
        self.used: set[str] = set()

    def write(self, sheet: Any, row: int, values: Iterable[Any], font: Any = None) -> None:
        for column, value in enumerate(values):
            stored, number_format = _typed(value)
            if stored is None:
                continue
            if number_format is None:
                sheet.write_string(row, column, stored, font)
            elif isinstance(stored, dt.date):
                sheet.write_datetime(row, column, stored, self.formats[number_format])
            else:
                sheet.write_number(row, column, stored, self.formats[number_format])

    def size_columns(self, sheet: Any, rows: Sequence[Sequence[Any]]) -> None:
        widths: dict[int, int] = {}
        for row in rows:
            for i, value in enumerate(row):
                widths[i] = max(widths.get(i, 8), _width(value))
        for i, width in widths.items():
            sheet.set_column(i, i, width)

    def summary(self, report: Report) -> None:
        sheet = self.workbook.add_worksheet(sheet_title("Summary", self.used))
        summary = report.summary
        figures = summary.figures if summary else []
        for column, width in enumerate((40, 22, 16, 14, 70)):
            sheet.set_column(column, column, width)
        lines: list[tuple[list[Any], Any]] = [([report.title], self.title_font)]
        lines += [([label, value], None) for label, value in _heading_lines(report)[1:]]
        lines += [([], None), (["Figure", "Value", "", "", "Detail"], self.bold)]
        lines += [([f.label, f.value, None, None, f.detail], None) for f in figures]
        lines += [
            ([section.title, None, None, None, section.intro], None)
            for section in report.sections
            if section.intro
        ]
        for table in summary.tables if summary else []:
            lines += [([], None), ([table.title], self.bold), (table.columns, self.bold)]
            lines += [(list(row), None) for row in table.rows]
            if table.note:
                lines.append(([table.note], None))
        lines += [
            ([], None),
            (
                [
                    f"Groups of fewer than {SMALL_CELL} people are not shown. Each table of the "
                    "report has its own sheet, with a filter on its header."
                ],
                None,
            ),
        ]
        for n, (values, font) in enumerate(lines):
            self.write(sheet, n, values, font)

    def table(self, section: Section, table: Table) -> None:
        name = table.title if section.is_appendix else f"{section.title} - {table.title}"
        sheet = self.workbook.add_worksheet(sheet_title(name, self.used))
        rows = iter(table.rows)
        head = [list(r) for r in islice(rows, SAMPLE_ROWS)]
        self.size_columns(sheet, [table.columns, *head])
        sheet.freeze_panes(1, 0)
        self.write(sheet, 0, table.columns, self.bold)
        count = 0
        for values in [*head, *rows]:
            count += 1
            self.write(sheet, count, values)
        sheet.autofilter(0, 0, count, max(0, len(table.columns) - 1))
        if table.note:
            self.write(sheet, count + 2, [table.note])


def write_xlsx(report: Report, path: str, progress: Progress = _noop) -> None:
    writer = _XlsxWriter(path)
    writer.summary(report)
    tables = [(s, t) for s in report.sections for t in s.tables]
    for n, (section, table) in enumerate(tables, start=1):
        writer.table(section, table)
        progress(n / len(tables))
    writer.workbook.close()


# --- PDF -----------------------------------------------------------------------------------------


def write_pdf(report: Report, path: str, progress: Progress = _noop) -> None:
    from programs.exports.report_pdf import build_pdf

    build_pdf(report, path, progress)


EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "pdf": "pdf"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
