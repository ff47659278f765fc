"""The admin's report of every program as a dean receives it: the institution's figures and one
row per program on the first page, charts and tables across programs, "All programs" as the
scope, page numbers "n of N", contents and bookmarks, nothing past the page's edges (checked on
images of every page made by pdftoppm), small groups hidden, and an XLSX with a real Summary."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from programs.exports.files import write_pdf, write_xlsx
from programs.exports.reports import ALL_PROGRAMS, SUPPRESSED, build_institution_report
from programs.models import RelationshipRisk, ReviewRequest
from programs.selectors.figures import match_rates
from programs.selectors.reports import institution_report_data
from tests.factories import ProgramFactory
from tests.oversight_fixtures import populate
from tests.programs.exports.test_report_files import _text, assert_nothing_overflows, needs_poppler

pytestmark = pytest.mark.django_db


@pytest.fixture
def programs(program, director, mentee, mentor):
    populate(program, director, 7)
    second = ProgramFactory(name="Surgery Early Career Faculty Mentoring Program")
    populate(second, director, 3)
    ProgramFactory(name="Program with nobody yet", is_active=False)
    return program, second


@pytest.fixture
def report(programs):
    today = timezone.localdate()
    return build_institution_report(
        institution_report_data(
            institution=programs[0].institution,
            start=today - dt.timedelta(days=365),
            end=today,
            risks=RelationshipRisk.objects.all(),
            review_requests=ReviewRequest.objects.all(),
        )
    )


def test_the_summary_has_the_institution_figures_and_one_row_per_program(report, programs):
    assert report.program == ALL_PROGRAMS
    summary = report.summary
    assert summary is not None
    labels = [f.label for f in summary.figures]
    assert labels[:3] == ["Programs", "Program members", "Match rate"]
    programs_figure = summary.figures[0]
    assert programs_figure.value == 3
    assert programs_figure.detail == "2 active"
    breakdown = summary.tables[0]
    rows = list(breakdown.rows)
    assert [r[0] for r in rows] == [
        "Program A",
        "Program with nobody yet",
        "Surgery Early Career Faculty Mentoring Program",
    ]
    members = {r[0]: r[1] for r in rows}
    assert members["Program with nobody yet"] == 0
    assert members["Program A"] > members["Surgery Early Career Faculty Mentoring Program"]


def test_the_institution_match_rate_adds_up_the_programs(report, programs):
    """The same figure as each program's own report, added up."""
    summary = report.summary
    assert summary is not None
    rate = next(f for f in summary.figures if f.label == "Match rate")
    each = [match_rates(program=p, on=timezone.localdate()) for p in programs]
    mentees, matched = sum(m.mentees for m in each), sum(m.matched for m in each)
    assert rate.detail.startswith(f"{matched} of {mentees} active mentees")
    assert rate.value == pytest.approx(matched / mentees)
    breakdown = {r[0]: r[2] for r in summary.tables[0].rows}
    assert breakdown["Program A"] == pytest.approx(each[0].matched / each[0].mentees)
    assert breakdown["Program with nobody yet"] is None


def test_groups_under_five_are_hidden_across_programs(report):
    equity = next(s for s in report.sections if s.title == "Equity of access to mentoring")
    cells = [row for table in equity.tables for row in table.rows]
    assert cells
    # Every mentee of the fixtures shares one rank: the group is shown, the others hidden.
    assert any(row[1] == SUPPRESSED for row in cells) or all(row[1] >= 5 for row in cells)


def _pdf(report, tmp_path: Path) -> Path:
    path = tmp_path / "all-programs.pdf"
    write_pdf(report, str(path))
    return path


@needs_poppler
def test_the_pdf_summary_names_the_scope_and_every_page_is_numbered(report, tmp_path):
    path = _pdf(report, tmp_path)
    first = _text(path, 1)
    for words in ("All-programs report", ALL_PROGRAMS, "By program", "Program A", report.period):
        assert words in first, words
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(next(li.split()[-1] for li in info.stdout.splitlines() if li.startswith("Pages")))
    assert pages >= 4
    for page in range(1, pages + 1):
        text = _text(path, page)
        assert f"Page {page} of {pages}" in text
        assert ALL_PROGRAMS in text  # the header's scope
    contents = _text(path, 2)
    for title in ("Contents", "Charts", "Tables", "Programs compared", "Equity of access"):
        assert title in contents
    assert b"/Outlines" in path.read_bytes()


@needs_poppler
def test_nothing_overflows_any_page_of_the_pdf(report, tmp_path):
    assert_nothing_overflows(_pdf(report, tmp_path), tmp_path)


def test_the_xlsx_has_a_real_summary_and_one_sheet_per_table(report, tmp_path):
    path = tmp_path / "all-programs.xlsx"
    write_xlsx(report, str(path))
    book = load_workbook(path)
    summary = book["Summary"]
    values: dict = {}
    for row in summary.iter_rows():  # the first of each label: the heading lines, the figures
        values.setdefault(row[0].value, row[1])
    assert values["Program"].value == ALL_PROGRAMS
    assert values["Match rate"].number_format == "0%"
    assert isinstance(values["Programs"].value, int)
    assert "Programs compared - Matching" in book.sheetnames
    for sheet in book.worksheets[1:]:
        assert sheet.freeze_panes == "A2", sheet.title
        assert (sheet.auto_filter.ref or "").startswith("A1:"), sheet.title
