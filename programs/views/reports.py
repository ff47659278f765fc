"""Program reports: choose a period, read the summary, export CSV, XLSX or PDF.

Exports need a recent re-authentication (allauth asks for the password again and then replays
the request), are recorded in the audit log, and run as a background job; the page polls the
job with htmx and offers the download when it is ready. Downloads check access again."""

from __future__ import annotations

from functools import partial

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from mentorship.http import AuthenticatedHttpRequest
from mentorship.job_views import job_control
from programs.access import (
    get_institution_report_export_for_user,
    get_program_for_director,
    get_report_export_for_user,
    require_admin,
    review_requests_for_director,
    risks_for_director,
)
from programs.exports.files import CONTENT_TYPES
from programs.exports.reports import build_report
from programs.forms.oversight import (
    ExportForm,
    InstitutionExportForm,
    InstitutionReportForm,
    ReportPeriodForm,
)
from programs.models import ExportFormat, ExportKind, ExportStatus, Program, ReportExport
from programs.selectors.reports import report_data
from programs.services.reports import (
    INSTITUTION_FORMATS,
    institution_report_export_start,
    report_export_record_download,
    report_export_retry,
    report_export_start,
    report_export_stop,
    table_export_start,
)
from programs.views.submissions import once_per_submission


@require_GET
def program_reports(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    chosen = {"start", "end", "years"} & set(request.GET)
    form = ReportPeriodForm(request.GET if chosen else None)
    start, end = form.period()
    years = form.outcome_years()
    data = report_data(
        program=program,
        start=start,
        end=end,
        risks=risks_for_director(request.user),
        review_requests=review_requests_for_director(request.user),
        outcome_years=years,
    )
    report = build_report(data)
    summary = [s for s in report.all_sections if not s.is_appendix]
    exports = ReportExport.objects.filter(program=program, requested_by=request.user)[:5]
    return render(
        request,
        "oversight/reports.html",
        {
            "program": program,
            "form": form,
            "start": start,
            "end": end,
            "years": years,
            "report": report,
            "sections": summary,
            "formats": ExportFormat.choices,
            "exports": exports,
        },
    )


@once_per_submission
@require_POST
def report_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # Access first: only the program's directors are ever asked to re-authenticate.
    program = get_program_for_director(request.user, pk)
    return _export(request, program)


@reauthentication_required
def _export(request: AuthenticatedHttpRequest, program: Program) -> HttpResponse:
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid period and format, then export again.")
        return redirect("program_reports", pk=program.pk)
    try:
        export = report_export_start(
            program=program,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            format=form.cleaned_data["format"],
            outcome_years=form.outcome_years(),
            by=request.user,
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("program_reports", pk=program.pk)
    return redirect("report_export_status", pk=program.pk, export_pk=export.pk)


TABLE_PAGES: dict[str, str] = {
    ExportKind.RELATIONSHIPS: "program_relationships",
    ExportKind.MEMBERS: "programs:members",
    ExportKind.MENTOR_RECOGNITION: "mentor_recognition",
}


@once_per_submission
@require_POST
def table_export(request: AuthenticatedHttpRequest, pk: int, kind: str) -> HttpResponse:
    """A filtered table (relationships, members, recognition) as CSV or XLSX, holding what the
    page showed: its filters come with the form. Access first, then the password again."""
    program = get_program_for_director(request.user, pk)
    if kind not in TABLE_PAGES:
        raise Http404("No such table.")
    return _table_export(request, program, kind)


@reauthentication_required
def _table_export(request: AuthenticatedHttpRequest, program: Program, kind: str) -> HttpResponse:
    try:
        export = table_export_start(
            program=program,
            kind=kind,
            format=request.POST.get("format", ""),
            filters=request.POST.dict(),
            by=request.user,
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect(TABLE_PAGES[kind], pk=program.pk)
    return redirect("report_export_status", pk=program.pk, export_pk=export.pk)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails  # set by django_htmx's middleware


# --- The admin's report of every program ---------------------------------------------------------


@require_GET
def institution_reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_admin(request.user)
    form = InstitutionReportForm(request.GET if "start" in request.GET else None)
    start, end = form.period()
    exports = ReportExport.objects.filter(
        kind=ExportKind.INSTITUTION_REPORT, requested_by=request.user
    ).select_related("institution")[:5]
    return render(
        request,
        "institution/reports.html",
        {
            "form": form,
            "institution": form.chosen_institution(),
            "start": start,
            "end": end,
            "formats": [(f.value, f.label) for f in INSTITUTION_FORMATS],
            "exports": exports,
        },
    )


@once_per_submission
@require_POST
def institution_report_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Access first: only admins are ever asked to re-authenticate.
    require_admin(request.user)
    return _institution_export(request)


@reauthentication_required
def _institution_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InstitutionExportForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Choose an institution, a valid period and a format, then export again."
        )
        return redirect("institution:reports")
    try:
        export = institution_report_export_start(
            institution=form.cleaned_data["institution"],
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            format=form.cleaned_data["format"],
            by=request.user,
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("institution:reports")
    return redirect("institution:report_export_status", export_pk=export.pk)


@require_GET
def institution_report_export_status(request: HtmxHttpRequest, export_pk: int) -> HttpResponse:
    export = get_institution_report_export_for_user(request.user, export_pk)
    template = "oversight/_export_status.html" if request.htmx else "institution/report_export.html"
    return render(request, template, {"export": export})


@require_GET
def institution_report_export_download(
    request: AuthenticatedHttpRequest, export_pk: int
) -> HttpResponseBase:
    export = get_institution_report_export_for_user(request.user, export_pk)
    return _download(request, export)


@require_POST
def institution_report_export_action(
    request: AuthenticatedHttpRequest, export_pk: int, action: str
) -> HttpResponse:
    """Stop the all-programs report while it is prepared, or try a failed or stopped one again."""
    export = get_institution_report_export_for_user(request.user, export_pk)
    _act(request, export, action)
    return redirect("institution:report_export_status", export_pk=export.pk)


# --- A program's exports -------------------------------------------------------------------------


@require_GET
def report_export_status(request: HtmxHttpRequest, pk: int, export_pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    export = get_report_export_for_user(request.user, program, export_pk)
    template = "oversight/_export_status.html" if request.htmx else "oversight/export_status.html"
    return render(request, template, {"program": program, "export": export})


@require_GET
def report_export_download(
    request: AuthenticatedHttpRequest, pk: int, export_pk: int
) -> HttpResponseBase:
    program = get_program_for_director(request.user, pk)
    export = get_report_export_for_user(request.user, program, export_pk)
    return _download(request, export)


def _status_url(export: ReportExport) -> str:
    if export.program_id is None:
        return reverse("institution:report_export_status", args=[export.pk])
    return reverse("report_export_status", args=[export.program_id, export.pk])


def _download(request: AuthenticatedHttpRequest, export: ReportExport) -> HttpResponseBase:
    """The file, once ready, to the person who asked for it (access checked by the caller)."""
    if export.status != ExportStatus.READY or not export.file:
        messages.info(request, "That export is not ready yet.")
        return redirect(_status_url(export))
    report_export_record_download(export=export, by=request.user)
    response = FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.file_name,
        content_type=CONTENT_TYPES[export.format],
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def report_export_action(
    request: AuthenticatedHttpRequest, pk: int, export_pk: int, action: str
) -> HttpResponse:
    """Stop an export that is waiting or being prepared, or try a failed or stopped one again."""
    program = get_program_for_director(request.user, pk)
    export = get_report_export_for_user(request.user, program, export_pk)
    _act(request, export, action)
    return redirect("report_export_status", pk=program.pk, export_pk=export.pk)


def _act(request: AuthenticatedHttpRequest, export: ReportExport, action: str) -> None:
    job_control(
        request,
        action,
        {
            "stop": (
                partial(report_export_stop, export=export, by=request.user),
                "The export is stopped.",
            ),
            "retry": (
                partial(report_export_retry, export=export, by=request.user),
                "The export has started again.",
            ),
        },
    )
