"""Writing a report to CSV, XLSX or PDF — row by row, never the whole file in memory.

Every cell goes through `reports.neutralise` (spreadsheet formula injection). CSV is written
incrementally to a file object; XLSX uses openpyxl's write-only workbook (rows are streamed to
disk); the PDF is built by reportlab's platypus straight into a file, and holds the summary
sections (the long lists of people and relationships are in the CSV and XLSX)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from programs.domain.small_cells import SMALL_CELL
from programs.exports.reports import Report, Table, neutralise

Progress = Callable[[float], None]


def _cells(row: Sequence[Any]) -> list[Any]:
    return [neutralise(v) for v in row]


def _tables(report: Report) -> Iterator[tuple[str, Table]]:
    for section in report.sections:
        for table in section.tables:
            yield section.title, table


def _noop(_: float) -> None:
    return None


def write_csv(report: Report, out: IO[str], progress: Progress = _noop) -> None:
    writer = csv.writer(out)
    writer.writerow(_cells([report.title]))
    writer.writerow(["Period", report.period])
    writer.writerow([])
    tables = list(_tables(report))
    for n, (section, table) in enumerate(tables, start=1):
        writer.writerow(_cells([f"{section}: {table.title}"]))
        writer.writerow(_cells(table.columns))
        for row in table.rows:
            writer.writerow(_cells(row))
        if table.note:
            writer.writerow(_cells([table.note]))
        writer.writerow([])
        progress(n / len(tables))


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join(c for c in title if c not in "[]:*?/\\")[:28] or "Sheet"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:25]} {n}"
        n += 1
    used.add(name)
    return name


def write_xlsx(report: Report, path: str, progress: Progress = _noop) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()

    def heading(sheet: Any, values: Sequence[Any]) -> list[Any]:
        cells = []
        for value in _cells(values):
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = bold
            cells.append(cell)
        return cells

    summary = workbook.create_sheet(_sheet_title("Summary", used))
    summary.append(heading(summary, [report.title]))
    summary.append(["Period", report.period])
    sections = report.sections
    for n, section in enumerate(sections, start=1):
        appendix = all(t.appendix for t in section.tables)
        if appendix:
            for table in section.tables:
                sheet = workbook.create_sheet(_sheet_title(table.title, used))
                sheet.append(heading(sheet, table.columns))
                for row in table.rows:
                    sheet.append(_cells(row))
        else:
            sheet = workbook.create_sheet(_sheet_title(section.title, used))
            for table in section.tables:
                sheet.append(heading(sheet, [table.title]))
                sheet.append(heading(sheet, table.columns))
                for row in table.rows:
                    sheet.append(_cells(row))
                if table.note:
                    sheet.append(_cells([table.note]))
                sheet.append([])
        progress(n / len(sections))
    workbook.save(path)


def write_pdf(report: Report, path: str, progress: Progress = _noop) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    from programs.exports.fonts import markup, pdf_fonts

    fonts = pdf_fonts()
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading2", "Heading4"):
        styles[name].fontName = fonts.bold
    styles["Normal"].fontName = fonts.regular
    cell_style = styles["BodyText"].clone("cell", fontName=fonts.regular, fontSize=8, leading=10)
    doc = SimpleDocTemplate(
        path,
        pagesize=landscape(A4),
        title=report.title,
        author="Mentorship program report",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    story: list[Any] = [
        Paragraph(markup(report.title), styles["Title"]),
        Paragraph(f"Period: {markup(report.period)}", styles["Normal"]),
        Paragraph(
            f"Groups of fewer than {SMALL_CELL} people are not shown. Lists of people and "
            "relationships are "
            "in the CSV and Excel exports.",
            styles["Italic"],
        ),
        Spacer(1, 6 * mm),
    ]

    def para(value: Any) -> Paragraph:
        if isinstance(value, dt.date):
            value = value.isoformat()
        return Paragraph(markup(str(neutralise(value))), cell_style)

    sections = [s for s in report.sections if not all(t.appendix for t in s.tables)]
    for n, section in enumerate(sections, start=1):
        story.append(Paragraph(markup(section.title), styles["Heading2"]))
        for table in section.tables:
            story.append(Paragraph(markup(table.title), styles["Heading4"]))
            data = [[para(c) for c in table.columns]] + [
                [para(v) for v in row] for row in table.rows
            ]
            pdf_table = PdfTable(data, repeatRows=1, hAlign="LEFT")
            pdf_table.setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#d5dbe5")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(pdf_table)
            if table.note:
                story.append(Paragraph(markup(table.note), styles["Italic"]))
            story.append(Spacer(1, 4 * mm))
        progress(0.9 * n / len(sections))
    doc.build(story)
    progress(1.0)


EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "pdf": "pdf"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
