"""Background jobs always finish or say why: report exports and match runs that nobody picked
up are queued again, those whose worker died start again (or fail, saying why), and a director
can stop them or try again."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from matching.models import MatchRun, RunMode, RunStatus
from matching.services import match_run_retry, match_run_start, match_run_stop, match_runs_sweep
from programs.models import ExportFormat, ExportStatus, ReportExport
from programs.services.reports import (
    report_export_run,
    report_export_start,
    report_export_stop,
    report_exports_sweep,
)

pytestmark = pytest.mark.django_db


def start_export(program, director):
    # on_commit never runs here: as if the broker had been down when it was started.
    return report_export_start(
        program=program,
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        format=ExportFormat.CSV,
        by=director,
    )


def test_an_export_nobody_picked_up_is_queued_again_and_finishes(program, director):
    export = start_export(program, director)
    assert report_exports_sweep()["requeued"] == 0  # too early to tell
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=3)),
        mock.patch("programs.services.reports.enqueue", return_value=True) as enqueue,
    ):
        assert report_exports_sweep()["requeued"] == 1
    assert enqueue.call_args.args[1] == export.pk
    assert report_export_run(export_id=export.pk) is True
    export.refresh_from_db()
    assert export.status == ExportStatus.READY


def test_an_export_whose_worker_died_starts_again_then_fails_saying_why(program, director):
    export = start_export(program, director)
    later = timezone.now()
    for _ in range(3):
        # A worker claimed it, then died: its heartbeat goes stale.
        ReportExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.RUNNING, heartbeat_at=later, starts=export.starts + 1
        )
        export.refresh_from_db()
        later += timedelta(minutes=5)
        with (
            time_machine.travel(later),
            mock.patch("programs.services.reports.enqueue", return_value=True),
        ):
            result = report_exports_sweep()
    assert result["failed"] == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert "stopped several times" in export.error


def test_a_redelivered_task_does_not_restart_an_export_a_live_worker_is_preparing(
    program, director
):
    export = start_export(program, director)
    ReportExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, heartbeat_at=timezone.now()
    )
    assert report_export_run(export_id=export.pk) is False


def test_a_director_stops_an_export_and_tries_it_again(program, director, client_for):
    export = start_export(program, director)
    client = client_for(director)
    status_url = reverse("report_export_status", args=[program.pk, export.pk])
    assert b"Stop" in client.get(status_url).content
    client.post(reverse("report_export_action", args=[program.pk, export.pk, "stop"]))
    export.refresh_from_db()
    assert export.status == ExportStatus.STOPPED
    assert report_export_run(export_id=export.pk) is False  # the queued task does nothing
    assert b"Try again" in client.get(status_url).content
    client.post(reverse("report_export_action", args=[program.pk, export.pk, "retry"]))
    export.refresh_from_db()
    assert export.status == ExportStatus.QUEUED
    report_export_stop(export=export, by=director)
    with pytest.raises(ValidationError):
        report_export_stop(export=export, by=director)


def test_stopping_while_it_is_being_prepared_keeps_nothing(program, director):
    export = start_export(program, director)

    def stop_midway(*args, **kwargs):
        ReportExport.objects.filter(pk=export.pk).update(status=ExportStatus.STOPPED)

    with mock.patch("programs.services.reports.build_report", side_effect=stop_midway):
        assert report_export_run(export_id=export.pk) is False
    export.refresh_from_db()
    assert export.status == ExportStatus.STOPPED
    assert not export.file


def test_other_directors_cannot_stop_an_export(program, director, other_director, client_for):
    export = start_export(program, director)
    response = client_for(other_director).post(
        reverse("report_export_action", args=[program.pk, export.pk, "stop"])
    )
    assert response.status_code in (403, 404)
    export.refresh_from_db()
    assert export.status == ExportStatus.QUEUED


def test_a_match_run_whose_worker_died_is_restarted_by_the_sweep(program, director):
    run = match_run_start(program=program, mode=RunMode.ONE_TO_ONE, by=director)
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, progress=55, heartbeat_at=timezone.now(), starts=1
    )
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=5)),
        mock.patch("matching.services.enqueue", return_value=True) as enqueue,
    ):
        assert match_runs_sweep()["restarted"] == 1
    assert enqueue.call_args.args[1] == run.pk
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED


def test_a_director_stops_a_match_run_and_tries_it_again(program, director, client_for):
    run = match_run_start(program=program, mode=RunMode.ONE_TO_ONE, by=director)
    client = client_for(director)
    client.post(reverse("matching:run_control", args=[program.pk, run.pk, "stop"]))
    run.refresh_from_db()
    assert run.status == RunStatus.STOPPED
    page = client.get(reverse("matching:run", args=[program.pk, run.pk]))
    assert b"Try again" in page.content
    match_run_retry(run=run, by=director)
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    match_run_stop(run=run, by=director)
    with pytest.raises(ValidationError):
        match_run_stop(run=run, by=director)
