"""Program report exports: requested by a director or admin (audited), prepared by a Celery
task that streams the file to storage while reporting its progress."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from mentorship.accounts.models import User
from mentorship.jobs import JobStopped, given_up_before, heartbeat, requeue_before, stale_before
from mentorship.queue import enqueue, enqueue_on_commit
from programs.access import (
    can_direct,
    concerns_for_director,
    review_requests_for_director,
    risks_for_director,
)
from programs.domain.outcomes import DEFAULT_YEARS, YEARS_CHOICES
from programs.domain.reminders import zone
from programs.exports.files import write_csv, write_pdf, write_xlsx
from programs.exports.reports import Report, build_report
from programs.exports.tables import (
    kept_filters,
    members_report,
    recognition_report,
    relationships_report,
)
from programs.models import ExportFormat, ExportKind, ExportStatus, Program, ReportExport
from programs.selectors.reports import report_data
from programs.services.audit import audit_record

logger = logging.getLogger(__name__)


@transaction.atomic
def report_export_start(
    *,
    program: Program,
    start: dt.date,
    end: dt.date,
    format: str,
    outcome_years: int = DEFAULT_YEARS,
    by: User,
) -> ReportExport:
    """Record the request (who, what, when, the outcomes' follow-up window) and queue the job
    after commit."""
    if not can_direct(by, program):
        raise ValidationError("Only the program's directors and admins can export its report.")
    if format not in ExportFormat.values:
        raise ValidationError({"format": "Choose CSV, Excel or PDF."})
    if end < start:
        raise ValidationError({"end": "The end of the period must be on or after its start."})
    if outcome_years not in YEARS_CHOICES:
        raise ValidationError({"years": "Choose a follow-up of 1 to 10 years."})
    export = ReportExport.objects.create(
        program=program,
        requested_by=by,
        format=format,
        period_start=start,
        period_end=end,
        outcome_years=outcome_years,
        heartbeat_at=timezone.now(),
    )
    audit_record(
        actor=by,
        verb="report.export",
        target=export,
        program=program,
        format=format,
        start=start.isoformat(),
        end=end.isoformat(),
        outcome_years=outcome_years,
    )
    from programs.tasks import run_report_export

    enqueue_on_commit(run_report_export, export.pk)
    return export


TABLE_KINDS = (ExportKind.RELATIONSHIPS, ExportKind.MEMBERS, ExportKind.MENTOR_RECOGNITION)
TABLE_FORMATS = (ExportFormat.CSV, ExportFormat.XLSX)


@transaction.atomic
def table_export_start(
    *, program: Program, kind: str, format: str, filters: dict[str, str], by: User
) -> ReportExport:
    """A filtered table (relationships, members, mentor recognition) as CSV or XLSX: recorded
    with the page's filters, audited, and prepared by the same background job as the report."""
    if not can_direct(by, program):
        raise ValidationError("Only the program's directors and admins can export its tables.")
    if kind not in TABLE_KINDS:
        raise ValidationError({"kind": "Choose the relationships, members or recognition table."})
    if format not in TABLE_FORMATS:
        raise ValidationError({"format": "Choose CSV or Excel."})
    today = timezone.localdate()
    export = ReportExport.objects.create(
        program=program,
        requested_by=by,
        kind=kind,
        format=format,
        filters=kept_filters(kind, filters),
        period_start=today,
        period_end=today,
        heartbeat_at=timezone.now(),
    )
    audit_record(
        actor=by,
        verb="report.export",
        target=export,
        program=program,
        kind=kind,
        format=format,
        filters=export.filters,
    )
    from programs.tasks import run_report_export

    enqueue_on_commit(run_report_export, export.pk)
    return export


def _set_progress(export_id: int, fraction: float) -> None:
    updated = ReportExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
        progress=max(1, min(99, int(fraction * 100))), heartbeat_at=timezone.now()
    )
    if not updated:
        raise JobStopped


def _requester_zone(export: ReportExport) -> Any:
    profile = getattr(export.requested_by, "profile", None)
    return zone(profile.time_zone if profile is not None else None)


def report_export_run(*, export_id: int) -> bool:
    """Build and store the file. Idempotent: a finished export, or one another live worker is
    preparing, is left alone; one whose worker died (stale heartbeat) is started again.
    Returns whether it produced a file now."""
    claimed = (
        ReportExport.objects.filter(pk=export_id)
        .filter(
            Q(status=ExportStatus.QUEUED)
            | Q(status=ExportStatus.RUNNING, heartbeat_at__lt=stale_before())
        )
        .update(
            status=ExportStatus.RUNNING,
            progress=1,
            heartbeat_at=timezone.now(),
            starts=F("starts") + 1,
        )
    )
    if not claimed:
        return False
    export = ReportExport.objects.select_related("program", "requested_by__profile").get(
        pk=export_id
    )
    if export.requested_by is None:
        # The export is scoped to what its requester may see; with them gone there is no scope.
        ReportExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED,
            error="The person who asked for this report no longer has an account.",
            finished_at=timezone.now(),
        )
        return False
    try:
        with heartbeat(ReportExport, export_id, running_status=ExportStatus.RUNNING):
            name = _write_export(export, export.requested_by)
    except JobStopped:
        return False
    except Exception as e:
        logger.exception("Report export %s failed", export_id)
        ReportExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED,
            error=f"The report could not be prepared ({type(e).__name__}). Try again.",
            finished_at=timezone.now(),
        )
        return False
    finished = ReportExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
        file=export.file.name,
        file_name=name,
        status=ExportStatus.READY,
        progress=100,
        finished_at=timezone.now(),
    )
    if not finished:  # stopped in the last instant: keep nothing
        export.file.delete(save=False)
    return bool(finished)


def _table_report(export: ReportExport, requester: User) -> Report:
    """The table the requester saw, with its filters, read with what they may see."""
    program, filters = export.program, export.filters or {}
    if export.kind == ExportKind.RELATIONSHIPS:
        return relationships_report(
            program=program,
            filters=filters,
            director_concerns=concerns_for_director(requester),
            risks=risks_for_director(requester),
            review_requests=review_requests_for_director(requester),
        )
    if export.kind == ExportKind.MEMBERS:
        return members_report(program=program, filters=filters)
    return recognition_report(
        program=program, filters=filters, review_requests=review_requests_for_director(requester)
    )


def _write_export(export: ReportExport, requester: User) -> str:
    program = export.program
    stamp = f"{export.period_start:%Y%m%d}-{export.period_end:%Y%m%d}"
    what = "report" if export.kind == ExportKind.PROGRAM_REPORT else export.kind.replace("_", "-")
    name = f"{slugify(program.name)[:60]}-{what}-{stamp}.{export.format}"
    # What the person who asked may see (never the review signals of their own relationships),
    # with days (joined, waited, met) in their zone, as on their dashboard: the worker's own
    # zone would put a late-evening event on another day.
    with timezone.override(_requester_zone(export)):
        if export.kind != ExportKind.PROGRAM_REPORT:
            report = _table_report(export, requester)
        else:
            data = report_data(
                program=program,
                start=export.period_start,
                end=export.period_end,
                risks=risks_for_director(requester),
                review_requests=review_requests_for_director(requester),
                outcome_years=export.outcome_years,
            )
            report = build_report(data)
    _set_progress(export.pk, 0.2)

    def progress(fraction: float) -> None:
        _set_progress(export.pk, 0.2 + 0.75 * fraction)

    fd, path = tempfile.mkstemp(suffix=f".{export.format}")
    os.close(fd)
    try:
        # Still in the requester's zone: a table's rows are read as they are written.
        with timezone.override(_requester_zone(export)):
            _write_file(export, report, path, progress)
        _set_progress(export.pk, 0.99)  # stopped meanwhile? then nothing is stored
        with open(path, "rb") as fh:
            export.file.save(name, File(fh), save=False)
    finally:
        os.unlink(path)
    return name


def _write_file(export: ReportExport, report: Report, path: str, progress: Any) -> None:
    if export.format == ExportFormat.CSV:
        with open(path, "w", newline="", encoding="utf-8-sig") as out:
            write_csv(report, out, progress)
    elif export.format == ExportFormat.XLSX:
        write_xlsx(report, path, progress)
    else:
        write_pdf(report, path, progress)


@transaction.atomic
def report_export_stop(*, export: ReportExport, by: User) -> ReportExport:
    """The director stops an export that is waiting or being prepared."""
    stopped = ReportExport.objects.filter(
        pk=export.pk, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).update(
        status=ExportStatus.STOPPED, error="Stopped at your request.", finished_at=timezone.now()
    )
    if not stopped:
        raise ValidationError("This export has already finished.")
    audit_record(actor=by, verb="report.export_stop", target=export, program=export.program)
    export.refresh_from_db()
    return export


@transaction.atomic
def report_export_retry(*, export: ReportExport, by: User) -> ReportExport:
    """Start a failed or stopped export again (same period and format)."""
    if not can_direct(by, export.program):
        raise ValidationError("Only the program's directors and admins can export its report.")
    retried = ReportExport.objects.filter(
        pk=export.pk, status__in=[ExportStatus.FAILED, ExportStatus.STOPPED]
    ).update(
        status=ExportStatus.QUEUED,
        progress=0,
        error="",
        starts=0,
        finished_at=None,
        heartbeat_at=timezone.now(),
    )
    if not retried:
        raise ValidationError("Only a failed or stopped export can be tried again.")
    audit_record(actor=by, verb="report.export_retry", target=export, program=export.program)
    from programs.tasks import run_report_export

    enqueue_on_commit(run_report_export, export.pk)
    export.refresh_from_db()
    return export


def report_exports_sweep() -> dict[str, int]:
    """Queue again exports nobody picked up (e.g. started while Redis was down), start again
    those whose worker died, and fail — saying why — those that cannot finish."""
    from programs.tasks import run_report_export

    result = {"requeued": 0, "restarted": 0, "failed": 0}
    dead = ReportExport.objects.filter(status=ExportStatus.RUNNING, heartbeat_at__lt=stale_before())
    result["failed"] += dead.filter(starts__gte=settings.MENTORSHIP_JOB_MAX_STARTS).update(
        status=ExportStatus.FAILED,
        error="The worker preparing it stopped several times. Try again, or ask an admin.",
        finished_at=timezone.now(),
    )
    restart = list(dead.values_list("pk", flat=True))
    result["restarted"] = ReportExport.objects.filter(pk__in=restart).update(
        status=ExportStatus.QUEUED, heartbeat_at=timezone.now()
    )
    waiting = ReportExport.objects.filter(
        status=ExportStatus.QUEUED, heartbeat_at__lt=requeue_before()
    )
    result["failed"] += waiting.filter(created_at__lt=given_up_before()).update(
        status=ExportStatus.FAILED,
        error="No background worker was available to prepare it. Try again.",
        finished_at=timezone.now(),
    )
    requeue = list(waiting.values_list("pk", flat=True))
    ReportExport.objects.filter(pk__in=requeue).update(heartbeat_at=timezone.now())
    result["requeued"] = len(requeue)
    for export_id in [*restart, *requeue]:
        if not enqueue(run_report_export, export_id):
            break  # the broker is down: the next sweep tries again
    return result


def report_export_record_download(*, export: ReportExport, by: User) -> None:
    audit_record(
        actor=by,
        verb="report.download",
        target=export,
        program=export.program,
        format=export.format,
    )
