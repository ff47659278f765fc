"""Filtered tables exported as shown: the relationships table with its filters, the members list
and mentor recognition, as CSV and XLSX, through the export job (re-authentication, audit), with
formulas neutralised and cells typed; only the program's directors and admins may export."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from programs.models import AuditEvent, ExportStatus, ReportExport
from tests.oversight_fixtures import populate

pytestmark = pytest.mark.django_db


def _reauthenticate(client):
    client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery"})


def _export(client, program, kind="relationships", **fields):
    return client.post(reverse("table_export", args=[program.pk, kind]), fields)


def _download(client, program, export) -> bytes:
    response = client.get(reverse("report_export_download", args=[program.pk, export.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_at_risk_filter_is_what_the_xlsx_holds(
    program, director, client_for, django_capture_on_commit_callbacks
):
    populate(program, director, 6)  # every third pair is at risk: two of six
    client = client_for(director)
    _reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = _export(client, program, at_risk="1", format="xlsx", page="3")
    export = ReportExport.objects.get()
    assert response["Location"] == reverse("report_export_status", args=[program.pk, export.pk])
    assert export.status == ExportStatus.READY
    assert export.filters == {"at_risk": "1"}
    book = load_workbook(io.BytesIO(_download(client, program, export)))
    assert book.sheetnames == ["Summary", "Relationships - Relationships"]
    sheet = book["Relationships - Relationships"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len([r for r in rows if r[0]]) == 2
    assert all(r[5] == "yes" for r in rows if r[0])
    assert sheet.freeze_panes == "A2"
    assert sheet["D2"].is_date
    summary = [r for r in book["Summary"].iter_rows(values_only=True) if r[0] == "Relationships"]
    assert "at risk: 1" in summary[0][4]
    event = AuditEvent.objects.get(verb="report.export")
    assert event.detail["kind"] == "relationships"


def test_the_members_csv_neutralises_formulas(
    program, director, mentee, client_for, django_capture_on_commit_callbacks
):
    type(mentee.profile).objects.filter(pk=mentee.profile.pk).update(given_name="=HYPERLINK(1)")
    client = client_for(director)
    _reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        _export(client, program, "members", role="mentees", format="csv")
    export = ReportExport.objects.get()
    text = _download(client, program, export).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    members = [r for r in rows if len(r) == 9][1:]  # after the header
    assert [r[0] for r in members] == ["'=HYPERLINK(1) Mentee"]
    assert members[0][2] == "Mentee"  # the role filter applied: no mentor in the file


def test_the_recognition_table_exports_as_xlsx(
    program, director, client_for, django_capture_on_commit_callbacks
):
    populate(program, director, 3)
    client = client_for(director)
    _reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        _export(client, program, "mentor_recognition", format="xlsx")
    export = ReportExport.objects.get()
    assert export.status == ExportStatus.READY
    sheet = load_workbook(io.BytesIO(_download(client, program, export))).worksheets[1]
    assert sheet["A1"].value == "Mentor"
    assert isinstance(sheet["D2"].value, int)  # current mentees: a number, not text


def test_exporting_a_table_asks_for_the_password_again(program, director, client_for):
    response = _export(client_for(director), program, format="csv")
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert ReportExport.objects.count() == 0


def test_only_the_programs_directors_and_admins_may_export(cast, program, client_for):
    for who, status in (
        ("mentee", 403),
        ("mentor", 403),
        ("other_director", 404),
        ("outsider", 404),
    ):
        client = client_for(cast[who])
        _reauthenticate(client)
        assert _export(client, program, format="csv").status_code == status, who
    assert ReportExport.objects.count() == 0
    admin = client_for(cast["admin"])
    _reauthenticate(admin)
    assert _export(admin, program, format="csv").status_code == 302
    assert ReportExport.objects.get().requested_by == cast["admin"]


def test_an_unknown_table_or_format_exports_nothing(program, director, client_for):
    client = client_for(director)
    _reauthenticate(client)
    assert _export(client, program, "concerns", format="csv").status_code == 404
    response = _export(client, program, format="pdf")
    assert ReportExport.objects.count() == 0
    assert response.status_code == 302


@pytest.mark.parametrize("pairs", [1, 12])
def test_the_relationships_export_reads_a_fixed_number_of_queries(
    pairs, program, director, django_assert_max_num_queries
):
    from programs.access import (
        concerns_for_director,
        review_requests_for_director,
        risks_for_director,
    )
    from programs.exports.tables import relationships_report

    populate(program, director, pairs, meetings=1)
    with django_assert_max_num_queries(4):  # the program's institution, the rows, their members
        report = relationships_report(
            program=program,
            filters={},
            director_concerns=concerns_for_director(director),
            risks=risks_for_director(director),
            review_requests=review_requests_for_director(director),
        )
        rows = list(report.sections[0].tables[0].rows)
    assert len(rows) == pairs
