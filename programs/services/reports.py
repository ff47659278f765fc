"""Program report exports: requested by a director or admin (audited), prepared by a Celery
task that streams the file to storage while reporting its progress."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
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
    roles_for,
)
from programs.domain.outcomes import DEFAULT_YEARS, YEARS_CHOICES
from programs.domain.reminders import zone
from programs.exports.files import write_csv, write_pdf, write_xlsx
from programs.exports.reports import Report, build_institution_report, build_report
from programs.exports.tables import (
    kept_filters,
    members_report,
    recognition_report,
    relationships_report,
)
from programs.models import (
    ExportFormat,
    ExportKind,
    ExportStatus,
    Institution,
    Program,
    ReportExport,
)
from programs.selectors.reports import institution_report_data, report_data
from programs.services.audit import audit_record

logger = logging.getLogger(__name__)
report_exports = JobRows(ReportExport)


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
    return _export_queue(
        program=program,
        by=by,
        audited={
            "format": format,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "outcome_years": outcome_years,
        },
        format=format,
        period_start=start,
        period_end=end,
        outcome_years=outcome_years,
    )


def _export_queue(
    *, program: Program | None, by: User, audited: dict[str, Any], **fields: Any
) -> ReportExport:
    """Record the export asked for (who, what, when), audit it with `audited`, and queue the
    job after commit. `program` is None for the report of every program (`fields` then name
    the institution)."""
    export = ReportExport.objects.create(
        program=program, requested_by=by, heartbeat_at=timezone.now(), **fields
    )
    audit_record(actor=by, verb="report.export", target=export, program=program, **audited)
    from programs.tasks import run_report_export

    enqueue_on_commit(run_report_export, export.pk)
    return export


INSTITUTION_FORMATS = (ExportFormat.PDF, ExportFormat.XLSX)


@transaction.atomic
def institution_report_export_start(
    *, institution: Institution, start: dt.date, end: dt.date, format: str, by: User
) -> ReportExport:
    """The admin's report of every program of the institution: recorded, audited and prepared
    by the same background job as a program's report."""
    if not roles_for(by).is_admin:
        raise ValidationError("Only institution admins can export the report of every program.")
    if format not in INSTITUTION_FORMATS:
        raise ValidationError({"format": "Choose Excel or PDF."})
    if end < start:
        raise ValidationError({"end": "The end of the period must be on or after its start."})
    return _export_queue(
        program=None,
        by=by,
        audited={
            "institution": institution.pk,
            "format": format,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        institution=institution,
        kind=ExportKind.INSTITUTION_REPORT,
        format=format,
        period_start=start,
        period_end=end,
    )


def may_export(user: User, export: ReportExport) -> bool:
    """Whoever may ask for this export now: the program's directors and admins, or, for the
    report of every program, admins only."""
    if export.program_id is None:
        return roles_for(user).is_admin
    return can_direct(user, export.program_id)


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
    assert program is not None  # the model's constraint: a table is a program's
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


def _file_name(export: ReportExport) -> str:
    stamp = f"{export.period_start:%Y%m%d}-{export.period_end:%Y%m%d}"
    if export.kind == ExportKind.INSTITUTION_REPORT:
        assert export.institution is not None  # the model's constraint
        return f"{slugify(export.institution.name)[:60]}-all-programs-{stamp}.{export.format}"
    assert export.program is not None  # the model's constraint
    what = "report" if export.kind == ExportKind.PROGRAM_REPORT else export.kind.replace("_", "-")
    return f"{slugify(export.program.name)[:60]}-{what}-{stamp}.{export.format}"


# The rows of the last report this worker read: (when, key, data). One report at a time, as a
# large program's rows are tens of megabytes.
_shared: list[tuple[float, tuple[Any, ...], Any]] = []


def _shared_rows(export: ReportExport, requester: User, read: Callable[[], Any]) -> Any:
    """The report's rows, read once for the PDF and the Excel of the same report: the same
    scope, period and requester (what they may see), on the same day, in the same zone, asked
    for within MENTORSHIP_REPORT_SHARE_SECONDS. The files then say the same "generated at"."""
    key = (
        export.kind,
        export.program_id,
        export.institution_id,
        export.period_start,
        export.period_end,
        export.outcome_years,
        requester.pk,
        str(timezone.get_current_timezone()),
        timezone.localdate(),
    )
    now = time.monotonic()
    if (
        _shared
        and _shared[0][1] == key
        and now - _shared[0][0] < settings.MENTORSHIP_REPORT_SHARE_SECONDS
    ):
        return _shared[0][2]
    _shared.clear()
    data = read()
    if settings.MENTORSHIP_REPORT_SHARE_SECONDS > 0:
        _shared.append((now, key, data))
    return data


def _report(export: ReportExport, requester: User) -> Report:
    """What the person who asked may see (never the review signals of their own
    relationships)."""
    if export.kind not in (ExportKind.PROGRAM_REPORT, ExportKind.INSTITUTION_REPORT):
        return _table_report(export, requester)
    seen: dict[str, Any] = {
        "start": export.period_start,
        "end": export.period_end,
        "risks": risks_for_director(requester),
        "review_requests": review_requests_for_director(requester),
    }
    if export.kind == ExportKind.INSTITUTION_REPORT:
        institution = export.institution
        assert institution is not None  # the model's constraint
        rows = _shared_rows(
            export, requester, lambda: institution_report_data(institution=institution, **seen)
        )
        return build_institution_report(rows)
    program = export.program
    assert program is not None  # the model's constraint
    years = export.outcome_years
    return build_report(
        _shared_rows(
            export, requester, lambda: report_data(program=program, outcome_years=years, **seen)
        )
    )


def _write_export(export: ReportExport, requester: User) -> str:
    name = _file_name(export)
    # Days (joined, waited, met) in the requester's zone, as on their dashboard: the worker's
    # own zone would put a late-evening event on another day.
    with timezone.override(_requester_zone(export)):
        report = _report(export, requester)
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
    if not may_export(by, export):
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
