"""The program report and the charts in a real browser, with the Content-Security-Policy
enforced and listened to: a director reads the charts on the dashboard (legible on a phone,
nothing blocked by the policy), reads the report page, exports the PDF and downloads it, and
exports the filtered relationships table as Excel."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.test_security import LISTEN
from tests.oversight_fixtures import populate

pytestmark = pytest.mark.django_db(transaction=True)

# Every text of every chart, as drawn: its rendered height in CSS pixels.
CHART_TEXT_HEIGHTS = """() => Array.from(document.querySelectorAll('svg.chart text'))
  .map(t => t.getBoundingClientRect().height).filter(h => h > 0)"""


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def _reauthenticate(page) -> None:
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name=re.compile("Confirm|Reauthenticate", re.I)).click()


def test_the_dashboards_charts_pass_the_policy_and_read_on_a_phone(
    page, context, live_server, login, director, program, axe
):
    context.add_init_script(LISTEN)
    populate(program, director, 6)
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/dashboard/")
    charts = page.locator("svg.chart")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 4  # meetings, stages, scores, and one per dimension of match rate
    assert page.locator("figcaption.chart-summary").count() == charts.count()
    page.set_viewport_size({"width": 375, "height": 800})
    heights = page.evaluate(CHART_TEXT_HEIGHTS)
    assert heights
    assert min(heights) >= 9, f"chart text {min(heights):.1f} px tall at 375 px"
    axe(page, context="on the dashboard with its charts")
    page.goto(f"{live_server.url}/programs/{program.pk}/matching/fairness/")
    expect(page.locator("svg.chart").first).to_be_visible()
    assert _violations(page) == []


def test_a_director_downloads_the_pdf_report(
    page, context, live_server, login, director, program, axe, tmp_path
):
    context.add_init_script(LISTEN)
    populate(program, director, 6)
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/reports/")
    expect(page.get_by_role("heading", name="Summary")).to_be_visible()
    expect(page.locator(".report-figures").get_by_text("Match rate")).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    assert _violations(page) == []
    axe(page, context="on the report page")
    page.get_by_role("button", name="Export PDF").click()
    _reauthenticate(page)
    link = page.get_by_role("link", name=re.compile(r"Download .*\.pdf"))
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    pdf = tmp_path / "report.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        first = subprocess.run(
            ["pdftotext", "-l", "1", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Program A" in first
        assert "Page 1 of" in first


def test_a_director_exports_the_filtered_relationships_as_excel(
    page, context, live_server, login, director, program, tmp_path
):
    context.add_init_script(LISTEN)
    populate(program, director, 4)  # the first and the fourth are at risk
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/relationships/?at_risk=1")
    expect(page.get_by_text("2 relationships match the filters")).to_be_visible()
    page.get_by_role("form", name="Export this table").get_by_role("button", name="Excel").click()
    _reauthenticate(page)
    link = page.get_by_role("link", name=re.compile(r"Download .*\.xlsx"))
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "relationships.xlsx"
    info.value.save_as(path)
    sheet = load_workbook(io.BytesIO(path.read_bytes())).worksheets[1]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(rows) == 2
    assert _violations(page) == []
