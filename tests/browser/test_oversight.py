"""Oversight in a real browser: a director finds at-risk pairs and reassigns one; an admin
imports a roster (fixing a bad row first) and downloads the program report as XLSX and PDF.
axe-core checks the dashboard, the table, the import pages and the report pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from programs.models import (
    AcademicRank,
    AcademicStream,
    Department,
    FacultyProfile,
    Relationship,
    RelationshipOutcome,
)
from tests.factories import InstitutionFactory
from tests.oversight_fixtures import populate
from tests.relationship_fixtures import program_mentor

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_director_filters_to_at_risk_relationships_and_reassigns_one(
    page, live_server, login, director, program, axe
):
    pairs = populate(program, director, 4)  # the first and the fourth are at risk
    new_mentor = program_mentor(program, "new.mentor@northbridge.test")
    FacultyProfile.objects.filter(user=new_mentor).update(
        given_name="Nadia", family_name="Newmentor"
    )
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/dashboard/")
    expect(page.get_by_role("heading", name=re.compile("dashboard"))).to_be_visible()
    axe(page, context="on the dashboard")
    page.get_by_role("link", name=re.compile("at risk")).click()
    expect(page.get_by_label("At risk")).to_be_checked()
    axe(page, context="on the relationships table")
    page.get_by_label("Quiet").uncheck()
    page.get_by_label("Stage").select_option("open")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("2 relationships match the filters")).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Director actions")).to_be_visible()
    page.get_by_text("Reassign: replace a mentor").click()
    page.get_by_label("New mentor").select_option(label="Nadia Newmentor")
    page.get_by_label("Note for the program directors").fill("Unresponsive since the spring.")
    axe(page, context="on the director's relationship page")
    page.get_by_role("button", name="Review the reassignment").click()
    expect(page.get_by_role("heading", name="What happens when you confirm")).to_be_visible()
    axe(page, context="on the reassignment confirmation")
    page.get_by_role("button", name="Confirm the reassignment").click()
    expect(page.get_by_text("Nadia Newmentor now mentors in a new relationship")).to_be_visible()
    successor = Relationship.objects.get(members__person__user=new_mentor)
    assert successor.previous_id in (pairs[0].pk, pairs[3].pk)
    successor.previous.refresh_from_db()
    assert successor.previous.outcome == RelationshipOutcome.REASSIGNED


def _roster(rank: str) -> bytes:
    stream = AcademicStream.objects.order_by("order").first().name
    good = AcademicRank.objects.order_by("order").first().name
    return (
        "email,given name,family name,department,division,rank,stream,reporting line email,role in program\n"
        f"ines.ortega@northbridge.test,Inés,Ortega,Medicine,,{good},{stream},,mentee\n"
        f"kofi.mensah@northbridge.test,Kofi,Mensah,Medicine,,{rank},{stream},,mentor\n"
    ).encode()


def test_an_admin_imports_a_roster_and_downloads_the_reports(
    page, live_server, login, admin, director, program, axe, tmp_path
):
    Department.objects.create(institution=InstitutionFactory(), name="Medicine")
    populate(program, director, 2)
    login(admin)
    page.goto(f"{live_server.url}/institution/roster/")
    axe(page, context="on the roster upload page")
    page.get_by_label(re.compile("Roster file")).set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": _roster("Assoc Prof")}]
    )
    page.get_by_label(re.compile("Program for the")).select_option(label="Program A")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("Unknown rank “Assoc Prof”")).to_be_visible()
    axe(page, context="on the roster check page with an error")
    assert not FacultyProfile.objects.filter(user__email="ines.ortega@northbridge.test").exists()

    page.get_by_role("link", name="Upload the corrected file").click()
    good = AcademicRank.objects.order_by("-order").first().name
    page.get_by_label(re.compile("Roster file")).set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": _roster(good)}]
    )
    page.get_by_label(re.compile("Program for the")).select_option(label="Program A")
    page.get_by_role("button", name="Check the file").click()
    axe(page, context="on the roster check page")
    page.get_by_role("button", name=re.compile("Import 2 changes")).click()
    expect(page.get_by_text("Roster imported: 2 people created and invited")).to_be_visible()
    assert FacultyProfile.objects.filter(user__email="kofi.mensah@northbridge.test").exists()

    page.goto(f"{live_server.url}/programs/{program.pk}/reports/")
    axe(page, context="on the report page")
    page.get_by_role("button", name="Export Excel (XLSX)").click()
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name=re.compile("Confirm|Reauthenticate", re.I)).click()
    download_link = page.get_by_role("link", name=re.compile(r"Download .*\.xlsx"))
    expect(download_link).to_be_visible()
    axe(page, context="on the export page")
    with page.expect_download() as info:
        download_link.click()
    xlsx = tmp_path / "report.xlsx"
    info.value.save_as(xlsx)
    assert xlsx.read_bytes().startswith(b"PK")

    page.goto(f"{live_server.url}/programs/{program.pk}/reports/")
    page.get_by_role("button", name="Export PDF").click()  # recently re-authenticated
    pdf_link = page.get_by_role("link", name=re.compile(r"Download .*\.pdf"))
    expect(pdf_link).to_be_visible()
    with page.expect_download() as info:
        pdf_link.click()
    pdf = tmp_path / "report.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_an_export_says_its_progress_and_focuses_the_download_when_ready(
    page, live_server, login, director, program, monkeypatch
):
    """No worker runs: the page polls a queued export; once it is built the download takes
    focus and the page's live region says so, without a reload."""
    from datetime import date

    from programs.services.reports import report_export_run, report_export_start

    monkeypatch.setattr("programs.services.reports.enqueue_on_commit", lambda *a, **k: None)
    export = report_export_start(
        program=program, start=date(2026, 1, 1), end=date(2026, 6, 30), format="csv", by=director
    )
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/reports/exports/{export.pk}/")
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.locator("[data-job-announcer]")).to_have_text("")
    report_export_run(export_id=export.pk)
    expect(page.get_by_role("link", name=re.compile(r"Download .*\.csv"))).to_be_visible()
    expect(page.locator("#export-status")).to_be_focused()
    expect(page.locator("[data-job-announcer]")).to_have_text(
        "Your CSV report is ready to download."
    )
