"""Mentor training and recognition: the program's page (sessions, who is short of the required
hours, reminders, awards and nominations), a session's attendance (by hand or from a sheet),
and a mentor's own record with a certificate of hours."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mentorship.http import AuthenticatedHttpRequest
from mentorship.uploads import upload_was_too_large
from programs.access import get_program_overseen
from programs.domain.roster import RosterFileError
from programs.domain.training import read_attendance
from programs.exports.training_certificate import training_certificate_pdf
from programs.forms.programs import apply_errors
from programs.forms.training import (
    AttendanceForm,
    AttendanceImportForm,
    RecognitionForm,
    TrainingSessionForm,
)
from programs.models import FacultyProfile, Program, TrainingSession
from programs.selectors.figures import mentor_training_figures, training_hours
from programs.selectors.training import (
    program_mentor_choices,
    program_people_for_attendance,
    recognitions,
    training_record,
    training_sessions,
)
from programs.services.people import profile_ensure
from programs.services.training import (
    attendance_import,
    attendance_set,
    recognition_create,
    training_reminders_send,
    training_session_create,
    untrained_mentors,
)
from programs.views.submissions import once_per_submission


def _render_program(
    request: AuthenticatedHttpRequest,
    program: Program,
    *,
    form: TrainingSessionForm | None = None,
    recognition_form: RecognitionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    short = untrained_mentors(program)
    hours = training_hours(program=program, person_ids=[m.person_id for m in short])
    return render(
        request,
        "training/program_training.html",
        {
            "program": program,
            "figures": mentor_training_figures(program=program),
            "sessions": training_sessions(program=program),
            "short": [(m, hours.get(m.person_id)) for m in short],
            "recognitions": recognitions(program=program),
            "form": form or TrainingSessionForm(),
            "recognition_form": recognition_form
            or RecognitionForm(mentors=program_mentor_choices(program=program)),
        },
        status=status,
    )


@once_per_submission
def program_training(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_overseen(request.user, pk)
    if request.method != "POST":
        return _render_program(request, program)
    form = TrainingSessionForm(request.POST)
    if form.is_valid():
        try:
            session = training_session_create(program=program, by=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, f"Recorded “{session.title}”. Now record who attended.")
            return redirect("training_session", pk=program.pk, session_pk=session.pk)
    return _render_program(request, program, form=form, status=400)


@once_per_submission
@require_POST
def recognition_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_overseen(request.user, pk)
    form = RecognitionForm(request.POST, mentors=program_mentor_choices(program=program))
    if form.is_valid():
        data = form.cleaned_data
        try:
            recognition = recognition_create(
                program=program,
                person=get_object_or_404(FacultyProfile, pk=data["person"]),
                kind=data["kind"],
                title=data["title"],
                awarded_on=data["awarded_on"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                f"Recorded the {recognition.get_kind_display().lower()} for "
                f"{recognition.person.display_name}.",
            )
            return redirect(reverse("program_training", args=[program.pk]) + "#recognition-h")
    return _render_program(request, program, recognition_form=form, status=400)


@require_POST
def training_remind(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_overseen(request.user, pk)
    planned = training_reminders_send(program=program, by=request.user)
    if planned:
        messages.success(request, f"Reminded {planned} mentor{'s' if planned != 1 else ''}.")
    else:
        messages.info(request, "Nobody new to remind today: each mentor is reminded once a day.")
    return redirect("program_training", pk=program.pk)


def _render_session(
    request: AuthenticatedHttpRequest,
    program: Program,
    session: TrainingSession,
    *,
    form: AttendanceForm | None = None,
    import_form: AttendanceImportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    people = program_people_for_attendance(program=program)
    present = [str(pk) for pk in session.attendances.values_list("person_id", flat=True)]
    return render(
        request,
        "training/session.html",
        {
            "program": program,
            "session": session,
            "form": form or AttendanceForm(people=people, initial={"attendees": present}),
            "import_form": import_form or AttendanceImportForm(),
            "attendance_count": len(present),
        },
        status=status,
    )


def training_session(request: AuthenticatedHttpRequest, pk: int, session_pk: int) -> HttpResponse:
    program = get_program_overseen(request.user, pk)
    session = get_object_or_404(TrainingSession, pk=session_pk, program=program)
    if request.method != "POST":
        return _render_session(request, program, session)
    people = program_people_for_attendance(program=program)
    form = AttendanceForm(request.POST, people=people)
    if form.is_valid():
        try:
            added, removed = attendance_set(
                session=session,
                person_ids=[int(v) for v in form.cleaned_data["attendees"]],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, f"Attendance saved: {added} added, {removed} removed.")
            return redirect("training_session", pk=program.pk, session_pk=session.pk)
    return _render_session(request, program, session, form=form, status=400)


@require_POST
def training_attendance_import(
    request: AuthenticatedHttpRequest, pk: int, session_pk: int
) -> HttpResponse:
    program = get_program_overseen(request.user, pk)
    session = get_object_or_404(TrainingSession, pk=session_pk, program=program)
    request.POST  # noqa: B018 - parse the upload now, so the size handler has run
    form = AttendanceImportForm(request.POST, request.FILES)
    if upload_was_too_large(request):
        form = AttendanceImportForm()
        form.add_error(None, "The file is too large to be an attendance sheet.")
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.MENTORSHIP_MAX_UPLOAD_BYTES:
                raise RosterFileError("The file is too large to be an attendance sheet.")
            rows = read_attendance(upload.read(), upload.name)
            added = attendance_import(session=session, rows=rows, by=request.user)
        except RosterFileError as e:
            form.add_error("file", str(e))
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                f"Imported the sheet: {added} attendee{'s' if added != 1 else ''} added "
                f"({len(rows) - added} already recorded).",
            )
            return redirect("training_session", pk=program.pk, session_pk=session.pk)
    return _render_session(request, program, session, import_form=form, status=400)


def my_training(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    return render(
        request, "training/my_training.html", {"profile": profile, **training_record(profile)}
    )


def my_training_certificate(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    record = training_record(profile)
    pdf = training_certificate_pdf(person=profile, attended=record["attended"])
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="mentor-training-certificate.pdf"'
    return response
