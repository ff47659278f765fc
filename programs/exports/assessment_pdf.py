"""A self-evaluation version as a PDF, to bring to a first meeting.

Only the owner and mentors a version is shared with may download it (see the view). Everything the
person typed is escaped before it reaches reportlab's paragraph markup, so markup typed into a
reflection prints as the characters typed."""

from __future__ import annotations

import io
from datetime import date

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from programs.domain.assessment_sections import SECTIONS
from programs.exports.fonts import markup, pdf_fonts
from programs.models import GoalHorizon, SelfAssessment
from programs.selectors.assessments import LOCATION_LABELS, MODE_LABELS, ROLE_LABELS


def _date(value: date, *, month: str = "%b") -> str:
    """“3 Nov 2026” on every platform (strftime's %-d is not portable)."""
    return f"{value.day} {value.strftime(month)} {value.year}"


def _text(value: str) -> str:
    """User text made safe for reportlab's paragraph markup, keeping line breaks (and set in the
    fallback font where the main one has no glyph)."""
    return markup(value)


def assessment_pdf(*, assessment: SelfAssessment) -> bytes:
    """The whole version (pass it with person, goals and needs loaded)."""
    fonts = pdf_fonts()
    regular, bold = fonts.regular, fonts.bold
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName=regular, fontSize=10, leading=14
    )
    muted = ParagraphStyle("muted", parent=body, textColor=colors.HexColor("#4a5468"), fontSize=9)
    h1 = ParagraphStyle("h1", parent=base["Title"], fontName=bold, fontSize=18, alignment=0)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=13, spaceBefore=10)
    question = ParagraphStyle("q", parent=body, fontName=bold, spaceBefore=4)

    person = assessment.person
    submitted = (
        _date(timezone.localtime(assessment.submitted_at), month="%B")
        if assessment.submitted_at
        else "not submitted (draft)"
    )
    story = [
        Paragraph("Mentoring self-evaluation", h1),
        Paragraph(
            _text(f"{person.display_name} — version {assessment.version}, {submitted}"), body
        ),
        Paragraph(
            _text(
                f"{settings.SITE_NAME}. Private: shared by its author. Please do not pass it on."
            ),
            muted,
        ),
        Spacer(1, 4 * mm),
    ]
    goals = list(assessment.goals.all())
    needs = sorted(assessment.needs.all(), key=lambda n: (n.priority, n.area.order))
    for number, section in enumerate(SECTIONS, start=1):
        title = section.title if section.optional else f"{number}. {section.title}"
        story.append(Paragraph(_text(title), h2))
        if section.slug == "goals":
            for horizon, label in GoalHorizon.choices:
                story.append(Paragraph(_text(label), question))
                rows = [g for g in goals if g.horizon == horizon]
                if not rows:
                    story.append(Paragraph("—", body))
                    continue
                data = [
                    [
                        Paragraph(_text(g.text), body),
                        Paragraph(_date(g.target_date) if g.target_date else "—", body),
                        Paragraph(_text(g.get_status_display()), body),
                    ]
                    for g in rows
                ]
                table = Table(data, colWidths=[105 * mm, 30 * mm, 30 * mm])
                table.setStyle(
                    TableStyle(
                        [
                            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#d5dbe5")),
                            ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ]
                    )
                )
                story.append(table)
            continue
        for q in section.questions:
            story.append(Paragraph(_text(q.label), question))
            story.append(Paragraph(_answer(assessment, q.field, needs), body))
    doc_buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        doc_buffer,
        pagesize=A4,
        title=f"Mentoring self-evaluation, version {assessment.version}",
        author=person.display_name,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
    )
    doc.build(story)
    return doc_buffer.getvalue()


def _answer(assessment: SelfAssessment, field: str, needs: list) -> str:
    if field == "needs":
        return (
            "<br/>".join(
                _text(f"{n.area.name}: {n.get_priority_display().lower()} priority") for n in needs
            )
            or "—"
        )
    if field == "roles_wanted":
        return _text(", ".join(ROLE_LABELS.get(r, r) for r in assessment.roles_wanted) or "—")
    if field == "communication_modes":
        return _text(
            ", ".join(MODE_LABELS.get(m, m) for m in assessment.communication_modes) or "—"
        )
    if field == "location_preference":
        return _text(LOCATION_LABELS.get(assessment.location_preference, "—"))
    return _text(getattr(assessment, field) or "—")
