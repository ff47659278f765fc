"""The admin's all-programs report pages: the request (re-authentication, then the job), the
status and the download, and who may reach them (directors 403 as on every institution page;
another admin's export, or a program's export, 404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.models import AuditEvent, ExportKind, ExportStatus, ReportExport
from programs.services.reports import report_export_run
from tests.factories import InstitutionFactory, person
from tests.programs.test_views_submissions import submit_twice

pytestmark = pytest.mark.django_db


def _post(client, institution, fmt="pdf"):
    today = timezone.localdate()
    return client.post(
        reverse("institution:report_export"),
        {
            "institution": institution.pk,
            "start": (today - dt.timedelta(days=365)).isoformat(),
            "end": today.isoformat(),
            "format": fmt,
        },
    )


def _export(admin, institution, fmt="pdf"):
    today = timezone.localdate()
    return ReportExport.objects.create(
        kind=ExportKind.INSTITUTION_REPORT,
        institution=institution,
        requested_by=admin,
        format=fmt,
        period_start=today - dt.timedelta(days=30),
        period_end=today,
    )


def test_the_page_offers_pdf_and_excel_for_the_chosen_institution(
    admin, program, client_for, django_assert_max_num_queries
):
    client = client_for(admin)
    client.get(reverse("institution:reports"))  # the session and the roles, once
    with django_assert_max_num_queries(12):
        body = client.get(reverse("institution:reports")).content.decode()
    assert "Export PDF" in body
    assert "Export Excel (XLSX)" in body
    assert "Export CSV" not in body
    assert program.institution.name in body


def test_the_home_pages_link_to_it_for_admins_only(admin, director, program, client_for):
    url = reverse("institution:reports")
    assert url in client_for(admin).get(reverse("home")).content.decode()
    assert url in client_for(admin).get(reverse("institution:home")).content.decode()
    assert url not in client_for(director).get(reverse("home")).content.decode()


def test_exporting_asks_for_the_password_then_runs_and_downloads(
    admin, program, client_for, django_capture_on_commit_callbacks
):
    client = client_for(admin)
    first = _post(client, program.institution)
    assert first["Location"].startswith(reverse("account_reauthenticate"))
    assert not ReportExport.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(first["Location"], {"password": "correct-horse-battery"})
    export = ReportExport.objects.get()
    assert response["Location"] == reverse("institution:report_export_status", args=[export.pk])
    assert export.status == ExportStatus.READY
    status = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "Download" in status
    download = client.get(reverse("institution:report_export_download", args=[export.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(verb="report.download", actor=admin).exists()


def test_a_double_submitted_export_makes_one_export(admin, program, client_for):
    client = client_for(admin)
    client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery"})
    today = timezone.localdate()
    first, second = submit_twice(
        client,
        reverse("institution:report_export"),
        {
            "institution": program.institution.pk,
            "start": (today - dt.timedelta(days=90)).isoformat(),
            "end": today.isoformat(),
            "format": "xlsx",
        },
    )
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert ReportExport.objects.count() == 1


def test_a_bad_period_is_refused_with_a_message_and_nothing_made(admin, program, client_for):
    client = client_for(admin)
    client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery"})
    today = timezone.localdate()
    response = client.post(
        reverse("institution:report_export"),
        {
            "institution": program.institution.pk,
            "start": today.isoformat(),
            "end": (today - dt.timedelta(days=3)).isoformat(),
            "format": "pdf",
        },
        follow=True,
    )
    assert "Choose an institution, a valid period and a format" in response.content.decode()
    assert not ReportExport.objects.exists()


@pytest.mark.parametrize("who", ["director", "mentee", "outsider"])
def test_others_cannot_ask_see_or_download_it(cast, program, client_for, who):
    export = _export(cast["admin"], program.institution)
    report_export_run(export_id=export.pk)
    client = client_for(cast[who])
    assert client.get(reverse("institution:reports")).status_code == 403
    assert _post(client, program.institution).status_code == 403
    for name in ("institution:report_export_status", "institution:report_export_download"):
        assert client.get(reverse(name, args=[export.pk])).status_code == 403
    action = reverse("institution:report_export_action", args=[export.pk, "retry"])
    assert client.post(action).status_code == 403
    assert ReportExport.objects.count() == 1


def test_another_admins_export_and_a_programs_export_are_404(admin, director, program, client_for):
    other_admin = person("second.admin@northbridge.test").user
    other_admin.is_institution_admin = True
    other_admin.save(update_fields=["is_institution_admin"])
    theirs = _export(other_admin, program.institution)
    programs = ReportExport.objects.create(
        program=program,
        requested_by=admin,
        format="pdf",
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
    )
    client = client_for(admin)
    for export in (theirs, programs):
        for name in ("institution:report_export_status", "institution:report_export_download"):
            assert client.get(reverse(name, args=[export.pk])).status_code == 404
    # And the all-programs export is not reachable through a program's export pages.
    mine = _export(admin, program.institution)
    url = reverse("report_export_status", args=[program.pk, mine.pk])
    assert client.get(url).status_code == 404


def test_the_admin_chooses_among_institutions(admin, program, client_for):
    partner = InstitutionFactory(name="Partner Hospital", short_name="Partner", is_home=False)
    body = (
        client_for(admin)
        .get(
            reverse("institution:reports"),
            {"institution": partner.pk, "start": "2026-01-01", "end": "2026-06-30"},
        )
        .content.decode()
    )
    assert f'name="institution" value="{partner.pk}"' in body
    assert "Partner Hospital, 1 Jan 2026 – 30 Jun 2026" in body
