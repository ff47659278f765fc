"""Roster import: upload a CSV or XLSX, see what would happen to every row, confirm.

Admins import at the institution level (optionally into one program); directors import into
their own program. Nothing is written until the import is confirmed."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from mentorship.uploads import upload_was_too_large
from programs.access import (
    get_program_for_director,
    get_roster_import_for_user,
    programs_visible_to,
    require_admin,
)
from programs.domain.roster import LABELS, RosterFileError, read_roster
from programs.forms.oversight import RosterUploadForm
from programs.models import Program, RosterImportStatus
from programs.services.roster import (
    ERROR,
    plan_for,
    previous_import_of_same_file,
    roster_apply,
    roster_import_create,
)
from programs.views.submissions import once_per_submission

SHOW_LIMIT = 2000  # rows shown at once on the check page (errors always first)


def _max_mb() -> int:
    return settings.MENTORSHIP_MAX_UPLOAD_BYTES // (1024 * 1024)


def _upload(request: AuthenticatedHttpRequest, program: Program | None) -> HttpResponse:
    programs = None if program is not None else programs_visible_to(request.user)
    form = RosterUploadForm(programs=programs)
    status = 200
    refused = ""
    if request.method == "POST":
        request.POST  # noqa: B018 - parse the upload now, so the size handler has run
        if upload_was_too_large(request):
            refused = (
                f"The file is larger than {_max_mb()} MB, so it was not read. A roster of "
                "faculty is far smaller: check that you chose the right file, or split it."
            )
            status = 413
        else:
            form = RosterUploadForm(request.POST, request.FILES, programs=programs)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                target = program or form.cleaned_data.get("program")
                try:
                    if upload.size > settings.MENTORSHIP_MAX_UPLOAD_BYTES:
                        raise RosterFileError(
                            f"The file is larger than {_max_mb()} MB, so it was not read."
                        )
                    data = upload.read()
                    parsed = read_roster(data, upload.name)
                    roster = roster_import_create(
                        parsed=parsed,
                        file_name=upload.name,
                        file_sha256=hashlib.sha256(data).hexdigest(),
                        program=target,
                        scope="program" if program is not None else "institution",
                        by=request.user,
                    )
                except RosterFileError as e:
                    form.add_error("file", str(e))
                except ValidationError as e:
                    form.add_error(None, e)
                else:
                    return redirect(_preview_url(roster.pk, program))
            status = 400
    return render(
        request,
        "oversight/roster_upload.html",
        {
            "program": program,
            "form": form,
            "columns": LABELS,
            "max_mb": _max_mb(),
            "refused": refused,
        },
        status=status,
    )


def _preview_url(pk: int, program: Program | None) -> str:
    if program is not None:
        return reverse("program_roster_preview", args=[program.pk, pk])
    return reverse("institution:roster_preview", args=[pk])


def _preview(request: AuthenticatedHttpRequest, pk: int, program: Program | None) -> HttpResponse:
    roster = get_roster_import_for_user(request.user, pk, program)
    if roster.status == RosterImportStatus.APPLIED:
        plan = None
    else:
        plan = plan_for(roster, by=request.user)
    rows = []
    if plan is not None:
        only = request.GET.get("only", "")
        rows = sorted(plan.rows, key=lambda r: (r.action != ERROR, r.row))
        if only in ("error", "create", "update", "unchanged"):
            rows = [r for r in rows if r.action == only]
    columns = roster.summary.get("columns", [])
    return render(
        request,
        "oversight/roster_preview.html",
        {
            "program": program,
            "roster": roster,
            "plan": plan,
            "rows": rows[:SHOW_LIMIT],
            "more": max(0, len(rows) - SHOW_LIMIT),
            "columns": [(c, LABELS[c]) for c in columns],
            "column_names": columns,
            "previous": previous_import_of_same_file(roster),
            "confirm_url": reverse("program_roster_confirm", args=[program.pk, roster.pk])
            if program
            else reverse("institution:roster_confirm", args=[roster.pk]),
            "upload_url": reverse("program_roster", args=[program.pk])
            if program
            else reverse("institution:roster"),
        },
    )


def _confirm(request: AuthenticatedHttpRequest, pk: int, program: Program | None) -> HttpResponse:
    roster = get_roster_import_for_user(request.user, pk, program)
    try:
        counts = roster_apply(roster=roster, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect(_preview_url(roster.pk, program))
    if counts["created"] or counts["updated"]:
        messages.success(
            request,
            f"Roster imported: {counts['created']} people created and invited, "
            f"{counts['updated']} updated.",
        )
    else:
        messages.info(request, "Nothing changed: every row already matched our records.")
    return redirect(_preview_url(roster.pk, program))


# --- Institution admins --------------------------------------------------------------------------


@once_per_submission
@require_http_methods(["GET", "POST"])
def institution_roster(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_admin(request.user)
    return _upload(request, None)


def institution_roster_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    return _preview(request, pk, None)


@require_POST
def institution_roster_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    return _confirm(request, pk, None)


# --- Program directors ---------------------------------------------------------------------------


@once_per_submission
@require_http_methods(["GET", "POST"])
def program_roster(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _upload(request, get_program_for_director(request.user, pk))


def program_roster_preview(
    request: AuthenticatedHttpRequest, pk: int, roster_pk: int
) -> HttpResponse:
    return _preview(request, roster_pk, get_program_for_director(request.user, pk))


@require_POST
def program_roster_confirm(
    request: AuthenticatedHttpRequest, pk: int, roster_pk: int
) -> HttpResponse:
    return _confirm(request, roster_pk, get_program_for_director(request.user, pk))
