"""The admin's report of every program: who may ask for it, what is recorded, and the file the
export job makes from it (the same job, lifecycle and audit as a program's report)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from programs.models import AuditEvent, ExportKind, ExportStatus, ReportExport
from programs.services.reports import (
    institution_report_export_start,
    report_export_retry,
    report_export_run,
    report_export_stop,
)
from tests.factories import ProgramFactory
from tests.oversight_fixtures import populate

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


def _start(user, institution, fmt="pdf", start=TODAY - dt.timedelta(days=365), end=TODAY):
    return institution_report_export_start(
        institution=institution, start=start, end=end, format=fmt, by=user
    )


def test_an_admin_asks_and_the_request_is_recorded_and_queued(
    admin, program, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        export = _start(admin, program.institution)
    assert export.kind == ExportKind.INSTITUTION_REPORT
    assert export.program is None
    assert export.institution == program.institution
    assert len(queued) == 1
    event = AuditEvent.objects.get(verb="report.export")
    assert event.actor == admin
    assert event.detail["institution"] == program.institution.pk
    assert event.detail["format"] == "pdf"


@pytest.mark.parametrize("who", ["director", "mentee", "outsider"])
def test_nobody_but_an_admin_may_ask(cast, program, who):
    with pytest.raises(ValidationError, match="Only institution admins"):
        _start(cast[who], program.institution)
    assert not ReportExport.objects.exists()
    assert not AuditEvent.objects.filter(verb="report.export").exists()


def test_only_pdf_or_excel_and_a_period_that_ends_after_it_starts(admin, program):
    with pytest.raises(ValidationError, match="Excel or PDF"):
        _start(admin, program.institution, fmt="csv")
    with pytest.raises(ValidationError, match="on or after its start"):
        _start(admin, program.institution, start=TODAY, end=TODAY - dt.timedelta(days=1))


@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
def test_the_job_writes_the_file_named_for_the_institution(
    fmt, admin, director, program, mentee, mentor
):
    populate(program, director, 3)
    ProgramFactory(name="Program Z")
    export = _start(admin, program.institution, fmt=fmt, end=timezone.localdate())
    assert report_export_run(export_id=export.pk) is True
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert export.file_name.startswith("northbridge-university-school-of-medicine-all-programs-")
    assert export.file_name.endswith(f".{fmt}")
    head = export.file.read(4)
    assert head == (b"%PDF" if fmt == "pdf" else b"PK\x03\x04")
    assert report_export_run(export_id=export.pk) is False  # finished: left alone


def test_it_is_stopped_and_tried_again_like_any_export(admin, director, program):
    export = _start(admin, program.institution)
    report_export_stop(export=export, by=admin)
    assert export.status == ExportStatus.STOPPED
    with pytest.raises(ValidationError):
        report_export_retry(export=export, by=director)  # a director may not start it again
    retried = report_export_retry(export=export, by=admin)
    assert retried.status == ExportStatus.QUEUED
