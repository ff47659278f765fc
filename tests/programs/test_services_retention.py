"""Report exports and roster uploads are deleted after the retention period, by the periodic
task, files included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from programs.models import AuditEvent, ReportExport, RosterImport
from programs.tasks import purge_expired_files

pytestmark = pytest.mark.django_db

MADE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def files(program, director):
    with time_machine.travel(MADE, tick=False):
        export = ReportExport.objects.create(
            program=program,
            requested_by=director,
            format="csv",
            period_start=date(2025, 9, 1),
            period_end=date(2026, 2, 28),
            status="ready",
        )
        export.file.save("report.csv", ContentFile(b"name\nMaya Mentee\n"))
        roster = RosterImport.objects.create(
            program=program,
            uploaded_by=director,
            file_name="roster.csv",
            file_sha256="0" * 64,
            rows=[{"row": 2, "email": "maya@northbridge.test"}],
        )
    return export, roster


def test_the_default_retention_is_thirty_days():
    assert settings.MENTORSHIP_FILE_RETENTION_DAYS == 30


def test_files_are_kept_within_the_retention_period(files):
    export, roster = files
    with time_machine.travel(MADE + timedelta(days=29, hours=23), tick=False):
        assert purge_expired_files.delay().get() == {"exports": 0, "rosters": 0}
    assert ReportExport.objects.filter(pk=export.pk).exists()
    assert RosterImport.objects.filter(pk=roster.pk).exists()
    assert default_storage.exists(export.file.name)


def test_files_are_deleted_after_it_and_a_second_run_finds_nothing(
    files, django_capture_on_commit_callbacks
):
    export, _ = files
    name = export.file.name
    with time_machine.travel(MADE + timedelta(days=30, hours=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert purge_expired_files.delay().get() == {"exports": 1, "rosters": 1}
        assert purge_expired_files.delay().get() == {"exports": 0, "rosters": 0}
    assert not ReportExport.objects.exists()
    assert not RosterImport.objects.exists()
    assert not default_storage.exists(name)
    assert AuditEvent.objects.filter(verb="retention.purge").count() == 1


def test_the_period_comes_from_settings(files, settings):
    settings.MENTORSHIP_FILE_RETENTION_DAYS = 7
    with time_machine.travel(MADE + timedelta(days=8), tick=False):
        assert purge_expired_files.delay().get() == {"exports": 1, "rosters": 1}


def test_the_task_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-files"]
    assert entry["task"] == "programs.tasks.purge_expired_files"
    assert entry["schedule"] <= 24 * 60 * 60
