"""Program report exports: requested by a director or admin (audited), prepared by a Celery
task that streams the file to storage while reporting its progress."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from mentorship.accounts.models import User
from mentorship.jobs import JobRows, JobStopped, heartbeat
from mentorship.queue import enqueue, enqueue_on_commit
from programs.access import (
    can_direct,
    concerns_for_director,
    review_requests_for_director,
    risks_for_director,
)
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
report_exports = JobRows(ReportExport)


@transaction.atomic
def report_export_start(
    *, program: Program, start: dt.date, end: dt.date, format: str, by: User
) -> ReportExport:
    """Record the request (who, what, when) and queue the job after commit."""
    if not can_direct(by, program):
        raise ValidationError("Only the program's directors and admins can export its report.")
    if format not in ExportFormat.values:
        raise ValidationError({"format": "Choose CSV, Excel or PDF."})
    if end < start:
        raise ValidationError({"end": "The end of the period must be on or after its start."})
    return _export_queue(
        program=program,
        by=by,
        audited={"format": format, "start": start.isoformat(), "end": end.isoformat()},
        format=format,
        period_start=start,
        period_end=end,
    )


def _export_queue(
    *, program: Program, by: User, audited: dict[str, Any], **fields: Any
) -> ReportExport:
    """Record the export asked for (who, what, when), audit it with `audited`, and queue the
    job after commit."""
    export = ReportExport.objects.create(
        program=program, requested_by=by, heartbeat_at=timezone.now(), **fields
    )
    audit_record(actor=by, verb="report.export", target=export, program=program, **audited)
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
    kept = kept_filters(kind, filters)
    return _export_queue(
        program=program,
        by=by,
        audited={"kind": kind, "format": format, "filters": kept},
        kind=kind,
        format=format,
        filters=kept,
        period_start=today,
        period_end=today,
    )


def _set_progress(export_id: int, fraction: float) -> None:
    report_exports.progress(export_id, progress=max(1, min(99, int(fraction * 100))))


def _requester_zone(export: ReportExport) -> Any:
    profile = getattr(export.requested_by, "profile", None)
    return zone(profile.time_zone if profile is not None else None)


def report_export_run(*, export_id: int) -> bool:
    """Build and store the file. Idempotent: a finished export, or one another live worker is
    preparing, is left alone; one whose worker died (stale heartbeat) is started again.
    Returns whether it produced a file now."""
    if not report_exports.claim(export_id, progress=1):
        return False
    export = ReportExport.objects.select_related("program", "requested_by__profile").get(
        pk=export_id
    )
    if export.requested_by is None:
        # The export is scoped to what its requester may see; with them gone there is no scope.
        report_exports.fail(
            export_id, error="The person who asked for this report no longer has an account."
        )
        return False
    try:
        with heartbeat(ReportExport, export_id, running_status=ExportStatus.RUNNING):
            name = _write_export(export, export.requested_by)
    except JobStopped:
        return False
    except Exception as e:
        logger.exception("Report export %s failed", export_id)
        report_exports.fail(
            export_id, error=f"The report could not be prepared ({type(e).__name__}). Try again."
        )
        return False
    finished = report_exports.finish(export_id, file=export.file.name, file_name=name)
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
    if not report_exports.stop(export.pk, error="Stopped at your request."):
        raise ValidationError("This export has already finished.")
    audit_record(actor=by, verb="report.export_stop", target=export, program=export.program)
    export.refresh_from_db()
    return export


@transaction.atomic
def report_export_retry(*, export: ReportExport, by: User) -> ReportExport:
    """Start a failed or stopped export again (same period and format)."""
    if not can_direct(by, export.program):
        raise ValidationError("Only the program's directors and admins can export its report.")
    if not report_exports.retry(export.pk):
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

    return report_exports.sweep(
        enqueue=lambda export_id: enqueue(run_report_export, export_id),
        died_error="The worker preparing it stopped several times. Try again, or ask an admin.",
        unpicked_error="No background worker was available to prepare it. Try again.",
    )


def report_export_record_download(*, export: ReportExport, by: User) -> None:
    audit_record(
        actor=by,
        verb="report.download",
        target=export,
        program=export.program,
        format=export.format,
    )
