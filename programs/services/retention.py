"""Files with personal data are kept only as long as people need them: report exports (to
download) and roster uploads (to preview and confirm). After the retention period set in
settings (`MENTORSHIP_FILE_RETENTION_DAYS`) a daily sweep deletes them; a director who still
needs one makes it again.

Submission tokens (`FormSubmission`, see `views/submissions.py`) are only needed while a
double-click, a back-button resubmit or a network retry can still arrive; after
`MENTORSHIP_SUBMISSION_TOKEN_DAYS` they are deleted too, so the table stays small."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from programs.models import FormSubmission, ReportExport, RosterImport
from programs.services.audit import audit_record


@dataclass(frozen=True)
class Purged:
    exports: int
    rosters: int


def retention_cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.MENTORSHIP_FILE_RETENTION_DAYS)


def expired_files_purge() -> Purged:
    """Delete exports and roster uploads older than the retention period. Idempotent: what is
    gone stays gone, and a second run finds nothing."""
    cutoff = retention_cutoff()
    exports = 0
    for export in ReportExport.objects.filter(created_at__lt=cutoff).iterator():
        _export_delete(export)
        exports += 1
    with transaction.atomic():
        rosters, _ = RosterImport.objects.filter(created_at__lt=cutoff).delete()
        if exports or rosters:
            audit_record(
                actor=None,
                verb="retention.purge",
                exports=exports,
                rosters=rosters,
                days=settings.MENTORSHIP_FILE_RETENTION_DAYS,
            )
    return Purged(exports=exports, rosters=rosters)


@transaction.atomic
def _export_delete(export: ReportExport) -> None:
    # The row goes first, in a transaction; the file after commit, so a failure never leaves a
    # row pointing at nothing (a stray file is found again by nobody and harms nobody).
    file = export.file
    export.delete()
    if file and file.name:
        name, storage = file.name, file.storage
        transaction.on_commit(lambda: storage.delete(name))


def submission_tokens_cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.MENTORSHIP_SUBMISSION_TOKEN_DAYS)


@transaction.atomic
def submission_tokens_purge() -> int:
    """Delete consumed submission tokens older than the keeping period. A form resubmitted
    after that is handled as a new submission: by then nobody is double-clicking."""
    deleted, _ = FormSubmission.objects.filter(created_at__lt=submission_tokens_cutoff()).delete()
    return deleted
