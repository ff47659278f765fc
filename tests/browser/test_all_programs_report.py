"""The admin's report of every program in a real browser: from the home page to the report
page, the password asked again, the PDF prepared and downloaded; axe-core on each page. A
director finds no way to it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_reports import _reauthenticate
from tests.factories import ProgramFactory
from tests.oversight_fixtures import populate

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_requests_and_downloads_the_all_programs_report(
    page, live_server, login, admin, director, program, axe, tmp_path
):
    populate(program, director, 3)
    ProgramFactory(name="Program Z")
    login(admin)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="All-programs report").click()
    expect(page.get_by_role("heading", name="All-programs report", level=1)).to_be_visible()
    axe(page, context="on the all-programs report page")
    page.get_by_role("button", name="Export PDF").click()
    _reauthenticate(page)
    link = page.get_by_role("link", name=re.compile(r"Download .*all-programs.*\.pdf"))
    expect(link).to_be_visible()
    axe(page, context="on the all-programs export page")
    with page.expect_download() as info:
        link.click()
    pdf = tmp_path / "all-programs.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    page.get_by_role("link", name="Back to the all-programs report").click()
    expect(page.get_by_role("link", name=re.compile("PDF, Northbridge"))).to_be_visible()


def test_a_director_has_no_way_to_the_all_programs_report(
    page, live_server, login, director, program
):
    login(director)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="All-programs report")).to_have_count(0)
    response = page.goto(f"{live_server.url}/institution/reports/")
    assert response is not None
    assert response.status == 403
