"""The report's files as a dean receives them: the PDF (summary first, charts, tables, page
numbers "n of N", contents and bookmarks, nothing past the page's edges — checked on images of
every page made by pdftoppm) and the XLSX (typed cells, sized columns, frozen headers, filters,
a real Summary sheet, valid unique sheet names)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from programs.exports.files import sheet_title, write_pdf, write_xlsx
from programs.exports.reports import build_report
from programs.models import RelationshipRisk, ReviewRequest
from programs.selectors.reports import report_data
from tests.oversight_fixtures import populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(program, director, mentee, mentor):
    populate(program, director, 7)
    today = timezone.localdate()
    return build_report(
        report_data(
            program=program,
            start=today - dt.timedelta(days=365),
            end=today,
            risks=RelationshipRisk.objects.all(),
            review_requests=ReviewRequest.objects.all(),
        )
    )


def _pdf(report, tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    write_pdf(report, str(path))
    return path


def _text(path: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils is not installed (.ci/run installs it)"
)


@needs_poppler
def test_the_first_page_is_the_summary(report, tmp_path):
    first = _text(_pdf(report, tmp_path), 1)
    for words in (
        "Program report",
        "Match rate",
        "Time to match",
        "Meetings held against",
        "At risk now",
        "Mentors trained",
        "Review scores by subscale",
        "Match rate by rank, stream and gender",
        report.program,
    ):
        assert words in first, words
    assert "Page 1 of" in first


@needs_poppler
def test_every_page_says_page_n_of_n_and_the_period(report, tmp_path):
    path = _pdf(report, tmp_path)
    pages = int(
        next(
            line.split()[-1]
            for line in subprocess.run(
                ["pdfinfo", str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.splitlines()
            if line.startswith("Pages:")
        )
    )
    assert pages >= 4
    for page in range(1, pages + 1):
        text = _text(path, page)
        assert f"Page {page} of {pages}" in text
        assert report.period in text


@needs_poppler
def test_the_contents_and_bookmarks_name_every_part(report, tmp_path):
    path = _pdf(report, tmp_path)
    contents = _text(path, 2)
    for title in ("Contents", "Charts", "Tables", "Matching", "Meetings", "Endings"):
        assert title in contents
    raw = path.read_bytes()
    assert b"/Outlines" in raw
    assert b"/PageMode /UseOutlines" in raw or b"/Count" in raw


def assert_nothing_overflows(path: Path, tmp_path: Path) -> None:
    """Each page as an image: the outer 10 mm of every side (inside the 18 mm margin, outside
    the header and footer lines) must be blank."""
    from PIL import Image

    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "page")],
        check=True,
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) >= 4
    for image_path in images:
        image = Image.open(image_path).convert("L")
        width, height = image.size
        edge = round(10 / 25.4 * 50)  # 10 mm at 50 dpi
        for box in (
            (0, 0, edge, height),
            (width - edge, 0, width, height),
            (0, 0, width, edge // 2),
            (0, height - edge // 2, width, height),
        ):
            darkest = image.crop(box).getextrema()[0]
            assert darkest > 240, f"{image_path.name}: ink in the margin {box}"


@needs_poppler
def test_nothing_overflows_any_page(report, tmp_path):
    assert_nothing_overflows(_pdf(report, tmp_path), tmp_path)


def test_the_xlsx_has_a_real_summary_and_typed_cells(report, tmp_path):
    path = tmp_path / "report.xlsx"
    write_xlsx(report, str(path))
    book = load_workbook(path)
    assert book.sheetnames[0] == "Summary"
    summary = book["Summary"]
    values = {row[0].value: row[1] for row in summary.iter_rows() if row[0].value}
    assert values["Program"].value == report.program
    rate = values["Match rate"]
    assert isinstance(rate.value, float)
    assert rate.number_format == "0%"
    assert isinstance(values["At risk now"].value, int)
    assert summary.column_dimensions["A"].width >= 30


def test_every_table_sheet_has_a_frozen_filtered_header_and_sized_columns(report, tmp_path):
    path = tmp_path / "report.xlsx"
    write_xlsx(report, str(path))
    book = load_workbook(path)
    for sheet in book.worksheets[1:]:
        assert sheet.freeze_panes == "A2", sheet.title
        assert (sheet.auto_filter.ref or "").startswith("A1:"), sheet.title
        assert sheet.column_dimensions["A"].width
        assert sheet.column_dimensions["A"].width >= 8
        assert len(sheet.title) <= 31
    participants = next(s for s in book.worksheets if s.title == "Participants")
    joined = participants.cell(row=2, column=7)
    assert isinstance(joined.value, dt.datetime)  # a date cell, not text
    assert joined.number_format == "yyyy-mm-dd"


def test_sheet_names_are_valid_and_unique():
    used: set[str] = set()
    long = "Equity of access to mentoring - By academic rank"
    names = [sheet_title(long, used), sheet_title(long, used), sheet_title("a/b:c?[d]", used)]
    assert all(len(n) <= 31 for n in names)
    assert len({n.casefold() for n in names}) == 3
    assert names[1].endswith("(2)")
    assert names[2] == "abcd"
