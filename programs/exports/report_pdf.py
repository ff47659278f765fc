"""The program report as a PDF a director can hand to the dean (reportlab platypus).

Page 1 is the summary; page 2 the contents; then every section's charts (the same matplotlib
drawing as on the pages, placed as vector graphics by svglib), then every section's tables.
Each page has a header (institution, program) and a footer (period, generation time, "Page n
of N"); every part and section is a PDF bookmark. The contents and "of N" need the page
numbers, so the document is laid out twice (`multiBuild`)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable
from reportlab.platypus.tableofcontents import TableOfContents

from mentorship.charts import Chart
from programs.domain.small_cells import SMALL_CELL
from programs.exports.fonts import markup, pdf_fonts
from programs.exports.reports import Figure, Report, Section, Table, neutralise, text_of

PAGE = A4
MARGIN = 18 * mm
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
FRAME_HEIGHT = PAGE[1] - 2 * MARGIN - 10 * mm  # room for the header and footer lines
INK = colors.HexColor("#1d2433")
MUTED = colors.HexColor("#4a5468")
LINE = colors.HexColor("#d5dbe5")
HEAD = colors.HexColor("#eef1f6")


class _Styles:
    def __init__(self) -> None:
        fonts = pdf_fonts()
        base = getSampleStyleSheet()
        self.regular, self.bold = fonts.regular, fonts.bold
        self.title = ParagraphStyle(
            "title",
            base["Title"],
            fontName=fonts.bold,
            fontSize=20,
            leading=24,
            alignment=0,
            spaceAfter=4,
        )
        self.h1 = ParagraphStyle(
            "h1",
            base["Heading1"],
            fontName=fonts.bold,
            fontSize=16,
            leading=20,
            spaceBefore=6,
            spaceAfter=6,
        )
        self.h2 = ParagraphStyle(
            "h2",
            base["Heading2"],
            fontName=fonts.bold,
            fontSize=13,
            leading=16,
            spaceBefore=8,
            spaceAfter=4,
        )
        self.h3 = ParagraphStyle(
            "h3",
            base["Heading4"],
            fontName=fonts.bold,
            fontSize=10,
            leading=13,
            spaceBefore=6,
            spaceAfter=3,
        )
        self.body = ParagraphStyle(
            "body",
            base["Normal"],
            fontName=fonts.regular,
            fontSize=9.5,
            leading=12.5,
            textColor=INK,
        )
        self.small = ParagraphStyle("small", self.body, fontSize=8, leading=10, textColor=MUTED)
        self.cell = ParagraphStyle("cell", self.body, fontSize=8, leading=10)
        self.cell_bold = ParagraphStyle("cellb", self.cell, fontName=fonts.bold)
        self.value = ParagraphStyle(
            "value", self.body, fontName=fonts.bold, fontSize=15, leading=18
        )
        self.toc = [
            ParagraphStyle("toc0", self.body, fontName=fonts.bold, fontSize=11, leading=16),
            ParagraphStyle("toc1", self.body, leftIndent=14, fontSize=10, leading=13),
        ]


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup(text), style)


class _Heading(Paragraph):
    """A heading that becomes a contents line and a PDF bookmark at the `level` given."""

    def __init__(self, text: str, style: ParagraphStyle, level: int, key: str) -> None:
        super().__init__(markup(text), style)
        self.plain, self.level, self.key = text, level, key


class _Doc(BaseDocTemplate):
    def __init__(self, path: str, report: Report, styles: _Styles) -> None:
        super().__init__(
            path,
            pagesize=PAGE,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + 5 * mm,
            bottomMargin=MARGIN + 5 * mm,
            title=report.title,
            author=report.institution or "Mentorship program report",
            subject=f"{report.program}, {report.period}",
            creator="Mentorship platform",
        )
        self.report, self.styles = report, styles
        frame = Frame(
            MARGIN,
            MARGIN + 5 * mm,
            FRAME_WIDTH,
            FRAME_HEIGHT,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates([PageTemplate("page", [frame], onPage=self._decorate)])

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, _Heading):
            self.canv.bookmarkPage(flowable.key)
            self.canv.addOutlineEntry(flowable.plain, flowable.key, level=flowable.level)
            self.notify("TOCEntry", (flowable.level, markup(flowable.plain), self.page))

    def _decorate(self, canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(self.styles.regular, 8)
        canvas.setFillColor(MUTED)
        top = PAGE[1] - MARGIN + 2 * mm
        header = " · ".join(p for p in (self.report.institution, self.report.program) if p)
        canvas.drawString(MARGIN, top, header[:120])
        canvas.setStrokeColor(LINE)
        canvas.line(MARGIN, top - 2 * mm, PAGE[0] - MARGIN, top - 2 * mm)
        canvas.line(MARGIN, MARGIN + 2 * mm, PAGE[0] - MARGIN, MARGIN + 2 * mm)
        footer = f"Period {self.report.period} · Generated {self.report.generated}"
        canvas.drawString(MARGIN, MARGIN - 2 * mm, footer)
        canvas.restoreState()


class _NumberedCanvas(Canvas):
    """Writes "Page n of N" once the number of pages is known (at save)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(pdf_fonts().regular, 8)
            self.setFillColor(MUTED)
            self.drawRightString(
                PAGE[0] - MARGIN, MARGIN - 2 * mm, f"Page {self._pageNumber} of {total}"
            )
            super().showPage()
        super().save()


# --- Flowables -----------------------------------------------------------------------------------


def chart_drawing(chart: Chart, width: float = FRAME_WIDTH * 0.72) -> Drawing:
    """The chart's SVG as a reportlab drawing (vector), scaled to `width`."""
    from svglib.fonts import register_font
    from svglib.svglib import svg2rlg

    fonts = pdf_fonts()
    register_font("DejaVu Sans", rlgFontName=fonts.regular)
    register_font("DejaVu Sans", weight="bold", rlgFontName=fonts.bold)
    drawing = svg2rlg(io.StringIO(chart.svg_text))
    if drawing is None:  # pragma: no cover - svglib returns None only for unreadable input
        raise ValueError("chart could not be drawn")
    scale = min(width / drawing.width, FRAME_HEIGHT * 0.8 / drawing.height)
    drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
    drawing.scale(scale, scale)
    drawing.hAlign = "LEFT"
    return drawing


def _column_widths(columns: list[str]) -> list[float]:
    """The first column (names, labels) gets twice the share of the others."""
    shares = [2.0] + [1.0] * (len(columns) - 1)
    unit = FRAME_WIDTH / sum(shares)
    return [s * unit for s in shares]


def _table(table: Table, styles: _Styles) -> tuple[list[Flowable], list[Flowable]]:
    """The table's title with the table (kept together, so a title never ends a page), and
    what follows it."""

    def cell(value: Any, style: ParagraphStyle) -> Paragraph:
        return _para(text_of(neutralise(value)), style)

    data = [[cell(c, styles.cell_bold) for c in table.columns]]
    data += [[cell(v, styles.cell) for v in row] for row in table.rows]
    pdf_table = PdfTable(data, colWidths=_column_widths(table.columns), repeatRows=1, hAlign="LEFT")
    pdf_table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("GRID", (0, 0), (-1, -1), 0.25, LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    note = [_para(table.note, styles.small)] if table.note else []
    return [_para(table.title, styles.h3), pdf_table], [*note, Spacer(1, 3 * mm)]


def _figures(figures: list[Figure], styles: _Styles) -> Flowable:
    """The headline figures, two to a row: the number large, what it counts beneath."""
    cells = [
        [
            _para(f.label, styles.cell_bold),
            _para(text_of(f.value), styles.value),
            _para(f.detail, styles.small),
        ]
        for f in figures
    ]
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    if rows and len(rows[-1]) == 1:
        rows[-1].append([])
    grid = PdfTable(rows, colWidths=[FRAME_WIDTH / 2] * 2, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.25, LINE),
                ("INNERGRID", (0, 0), (-1, -1), 0.25, LINE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return grid


def _summary(report: Report, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [
        _Heading(report.title, styles.title, 0, "summary"),
        _para(
            f"{report.institution} · {report.program} · {report.period} · generated "
            f"{report.generated}",
            styles.body,
        ),
        Spacer(1, 3 * mm),
    ]
    summary = report.summary
    if summary is None:
        return story
    story.append(_figures(summary.figures, styles))
    story.append(Spacer(1, 2 * mm))
    for table in summary.tables:
        head, rest = _table(table, styles)
        story += [KeepTogether(head), *rest]
    lists = (
        " Lists of people and relationships are in the CSV and Excel exports."
        if any(s.is_appendix for s in report.sections)
        else ""
    )
    story.append(
        _para(
            f"Groups of fewer than {SMALL_CELL} people are never shown.{lists} Page 2 lists "
            "the contents.",
            styles.small,
        )
    )
    return story


def _section_charts(section: Section, styles: _Styles, n: int) -> list[Flowable]:
    heading: list[Flowable] = [_Heading(section.title, styles.h2, 1, f"charts-{n}")]
    story: list[Flowable] = [CondPageBreak(60 * mm)]
    for chart in section.charts:
        # The section's heading stays with its first chart: never alone at the foot of a page.
        story.append(
            KeepTogether(
                [
                    *heading,
                    chart_drawing(chart),
                    _para(chart.summary, styles.small),
                    Spacer(1, 4 * mm),
                ]
            )
        )
        heading = []
    return story


def _section_tables(section: Section, styles: _Styles, n: int) -> list[Flowable]:
    lead: list[Flowable] = [_Heading(section.title, styles.h2, 1, f"tables-{n}")]
    if section.intro:
        lead.append(_para(section.intro, styles.body))
    story: list[Flowable] = [CondPageBreak(40 * mm)]
    for table in section.tables:
        head, rest = _table(table, styles)
        # The section's heading stays with its first table: never alone at the foot of a page.
        story += [KeepTogether([*lead, *head]), *rest]
        lead = []
    return story + lead


def build_pdf(report: Report, path: str, progress: Callable[[float], None]) -> None:
    styles = _Styles()
    doc = _Doc(path, report, styles)
    contents = TableOfContents(levelStyles=styles.toc, dotsMinLevel=0)
    story: list[Flowable] = [*_summary(report, styles), PageBreak()]
    story += [_Heading("Contents", styles.h1, 0, "contents"), contents, PageBreak()]
    with_charts = [s for s in report.sections if s.charts]
    if with_charts:
        story.append(_Heading("Charts", styles.h1, 0, "charts"))
        story.append(
            _para(
                "Each chart is followed by what it shows in words; its numbers are in the "
                "tables that follow and in the Excel export.",
                styles.small,
            )
        )
        for n, section in enumerate(with_charts):
            story += _section_charts(section, styles, n)
            progress(0.5 * (n + 1) / len(with_charts))
        story.append(PageBreak())
    story.append(_Heading("Tables", styles.h1, 0, "tables"))
    tabled = [s for s in report.sections if s.tables and not s.is_appendix]
    for n, section in enumerate(tabled):
        story += _section_tables(section, styles, n)
    progress(0.8)
    doc.multiBuild(story, canvasmaker=_NumberedCanvas)
    progress(1.0)
