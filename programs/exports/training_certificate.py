"""A mentor's certificate of training hours (PDF): the sessions programs recorded for them, with
dates and hours, and the total. Fonts from `exports.fonts`, so every name prints as typed."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from programs.exports.fonts import markup, pdf_fonts
from programs.models import FacultyProfile, TrainingAttendance


def _hours(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")  # 3.0 -> "3", 1.5 -> "1.5"


def training_certificate_pdf(
    *, person: FacultyProfile, attended: list[TrainingAttendance]
) -> bytes:
    fonts = pdf_fonts()
    title = ParagraphStyle("title", fontName=fonts.bold, fontSize=20, leading=26, spaceAfter=8)
    body = ParagraphStyle("body", fontName=fonts.regular, fontSize=11, leading=15)
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=12, textColor=colors.grey)
    total = sum((a.session.hours for a in attended), Decimal(0))
    institution = person.institution.name if person.institution else ""
    story: list = [
        Paragraph(markup("Certificate of mentor training"), title),
        Paragraph(
            markup(
                f"This certifies that {person.display_name} attended {_hours(total)} hours of "
                f"mentor training recorded by the mentorship programs of {institution}."
                if institution
                else f"This certifies that {person.display_name} attended {_hours(total)} hours "
                "of mentor training recorded by their mentorship programs."
            ),
            body,
        ),
        Spacer(1, 6 * mm),
    ]
    rows = [["Date", "Session", "Program", "Hours"]]
    for a in attended:
        s = a.session
        what = s.title + (f" — {s.curriculum}" if s.curriculum else "")
        rows.append(
            [
                f"{s.held_on:%-d %b %Y}",
                Paragraph(markup(what), body),
                Paragraph(markup(s.program.name), body),
                _hours(s.hours),
            ]
        )
    rows.append(["", Paragraph(markup("Total"), body), "", _hours(total)])
    table = Table(rows, colWidths=[28 * mm, 80 * mm, 50 * mm, 16 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), fonts.bold),
                ("FONTNAME", (0, 1), (-1, -1), fonts.regular),
                ("FONTSIZE", (0, 0), (-1, -1), 10),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 8 * mm),
        Paragraph(
            markup(
                f"Issued {timezone.localdate():%-d %B %Y}. Only sessions a program recorded "
                "are counted; training the mentor reported themselves is not."
            ),
            small,
        ),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"Mentor training certificate — {person.display_name}",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )
    doc.build(story)
    return out.getvalue()
