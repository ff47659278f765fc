"""What directors and admins keep about running a program: confidential director notes on a
relationship (e.g. a brokered conversation), roster imports awaiting confirmation, and report
exports produced in the background."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from programs.models.programs import Program
from programs.models.relationships import Relationship


class DirectorNoteKind(models.TextChoices):
    BROKERED = "brokered", "Brokered conversation"
    NOTE = "note", "Note"


class DirectorNote(models.Model):
    """A director's confidential note on a relationship. Only the program's directors who are
    not in the relationship ever read it (see access.director_notes_visible_to)."""

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="director_notes"
    )
    kind = models.CharField(
        max_length=10, choices=DirectorNoteKind.choices, default=DirectorNoteKind.BROKERED
    )
    held_on = models.DateField(help_text="When the conversation took place.")
    text = models.TextField(max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-held_on", "-pk")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on relationship {self.relationship_id}"


class RosterImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Checked, waiting for confirmation"
    APPLIED = "applied", "Imported"


class RosterScope(models.TextChoices):
    INSTITUTION = "institution", "The institution's roster (admins)"
    PROGRAM = "program", "One program's roster (its directors)"


class RosterImport(models.Model):
    """An uploaded roster, parsed and checked. Confirming it applies the stored rows, so the
    file is never uploaded twice; `file_sha256` recognises the same file imported again."""

    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.CASCADE, related_name="roster_imports"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Whose pages the upload belongs to; access reads this column, never the summary.
    scope = models.CharField(
        max_length=11, choices=RosterScope.choices, default=RosterScope.INSTITUTION
    )
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    rows = models.JSONField(default=list, help_text="The parsed rows, as read from the file.")
    summary = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=RosterImportStatus.choices, default=RosterImportStatus.PREVIEWED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Roster {self.file_name} ({self.get_status_display()})"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    PDF = "pdf", "PDF"


class ExportKind(models.TextChoices):
    PROGRAM_REPORT = "program_report", "Program report"
    # Every program of one institution, for its admins (issue 15): `program` is empty.
    INSTITUTION_REPORT = "institution_report", "All-programs report"
    MENTOR_RECOGNITION = "mentor_recognition", "Mentor recognition"
    RELATIONSHIPS = "relationships", "Relationships table"
    MEMBERS = "members", "Members table"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    STOPPED = "stopped", "Stopped"


class ReportExport(models.Model):
    """A report file prepared in the background. Downloads check access again."""

    # A program's export has its program; the all-programs report has its institution instead.
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.CASCADE, related_name="report_exports"
    )
    institution = models.ForeignKey(
        "programs.Institution",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_exports",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(
        max_length=20, choices=ExportKind.choices, default=ExportKind.PROGRAM_REPORT
    )
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    # A table export's filters, as the page had them (query-string names), so the file holds
    # what the director saw; empty for the program report.
    filters = models.JSONField(default=dict, blank=True)
    # The program report's outcomes window: promotion within N years and retention over N.
    outcome_years = models.PositiveSmallIntegerField(default=3)
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="report-exports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life: queued, or its worker's heartbeat."
    )
    starts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind="institution_report", program__isnull=True, institution__isnull=False
                )
                | (~models.Q(kind="institution_report") & models.Q(program__isnull=False)),
                name="programs_report_export_scope",
            )
        ]

    def __str__(self) -> str:
        scope = self.program_id or f"institution {self.institution_id}"
        return f"{self.get_format_display()} report of {scope} ({self.status})"

    @property
    def is_done(self) -> bool:
        return self.status in (ExportStatus.READY, ExportStatus.FAILED, ExportStatus.STOPPED)
