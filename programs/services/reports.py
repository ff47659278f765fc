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

from mentorship.queue import enqueue_on_commit
from programs.access import can_direct, review_requests_for_director, risks_for_director
from programs.exports.files import write_csv, write_pdf, write_xlsx
from programs.exports.reports import build_report
from programs.models import ExportFormat, ExportStatus, Program, ReportExport
from programs.selectors.reports import report_data
from programs.services.audit import audit_record

logger = logging.getLogger(__name__)


@transaction.atomic
def report_export_start(
    *, program: Program, start: dt.date, end: dt.date, format: str, by: Any
) -> ReportExport:
    """Record the request (who, what, when) and queue the job after commit."""
    if not can_direct(by, program):
        raise ValidationError("Only the program's directors and admins can export its report.")
    if format not in ExportFormat.values:
        raise ValidationError({"format": "Choose CSV, Excel or PDF."})
    if end < start:
        raise ValidationError({"end": "The end of the period must be on or after its start."})
    export = ReportExport.objects.create(
        program=program,
        requested_by=by,
        format=format,
        period_start=start,
        period_end=end,
    )
    audit_record(
        actor=by,
        verb="report.export",
        target=export,
        program=program,
        format=format,
        start=start.isoformat(),
        end=end.isoformat(),
    )
    from programs.tasks import run_report_export

    enqueue_on_commit(run_report_export, export.pk)
    return export


def _set_progress(export_id: int, fraction: float) -> None:
    ReportExport.objects.filter(pk=export_id).update(progress=max(1, min(99, int(fraction * 100))))


def report_export_run(*, export_id: int) -> bool:
    """Build and store the file. Idempotent: a finished export is left alone. Returns whether
    it produced a file now."""
    claimed = ReportExport.objects.filter(
        pk=export_id, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).update(status=ExportStatus.RUNNING, progress=1)
    if not claimed:
        return False
    export = ReportExport.objects.select_related("program", "requested_by").get(pk=export_id)
    program = export.program
    stamp = f"{export.period_start:%Y%m%d}-{export.period_end:%Y%m%d}"
    name = f"{slugify(program.name)[:60]}-report-{stamp}.{export.format}"
    try:
        # What the person who asked may see: never the review signals of their own relationships.
        data = report_data(
            program=program,
            start=export.period_start,
            end=export.period_end,
            risks=risks_for_director(export.requested_by),
            review_requests=review_requests_for_director(export.requested_by),
        )
        _set_progress(export_id, 0.2)
        report = build_report(data)

        def progress(fraction: float) -> None:
            _set_progress(export_id, 0.2 + 0.75 * fraction)

        fd, path = tempfile.mkstemp(suffix=f".{export.format}")
        os.close(fd)
        try:
            if export.format == ExportFormat.CSV:
                with open(path, "w", newline="", encoding="utf-8-sig") as out:
                    write_csv(report, out, progress)
            elif export.format == ExportFormat.XLSX:
                write_xlsx(report, path, progress)
            else:
                write_pdf(report, path, progress)
            with open(path, "rb") as fh:
                export.file.save(name, File(fh), save=False)
        finally:
            os.unlink(path)
    except Exception as e:
        logger.exception("Report export %s failed", export_id)
        ReportExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED,
            error=f"The report could not be prepared ({type(e).__name__}). Try again.",
            finished_at=timezone.now(),
        )
        return False
    export.file_name = name
    export.status = ExportStatus.READY
    export.progress = 100
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "file_name", "status", "progress", "finished_at"])
    return True


def report_export_record_download(*, export: ReportExport, by: Any) -> None:
    audit_record(
        actor=by,
        verb="report.download",
        target=export,
        program=export.program,
        format=export.format,
    )
