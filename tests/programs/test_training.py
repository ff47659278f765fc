"""Mentor training kept by the program: sessions, attendance (by hand and imported), the
training-before-matching rule (gate and matching), reminders through the ledger, awards and
nominations, a mentor's own record and certificate; who may see each page."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from matching.sources import load_problem
from mentorship.notifications.kinds import BUILDERS, Kind
from mentorship.notifications.models import Notification
from programs.domain.training import read_attendance
from programs.models import MentorRecognition, TrainingAttendance, TrainingSession
from programs.selectors.figures import mentor_training_figures, training_hours
from programs.services.pairing import PairingRefused, Rule
from programs.services.training import (
    attendance_import,
    attendance_set,
    recognition_create,
    training_reminders_send,
    training_session_create,
)
from tests.relationship_fixtures import make_relationship

pytestmark = pytest.mark.django_db


def _session(program, director, *, hours="2", days_ago=10, title="Giving feedback"):
    return training_session_create(
        program=program,
        title=title,
        held_on=timezone.localdate() - dt.timedelta(days=days_ago),
        hours=Decimal(hours),
        curriculum="Mentor development workshops",
        by=director,
    )


# --- Services ------------------------------------------------------------------------------------


def test_a_session_needs_title_date_and_sensible_hours(program, director):
    with pytest.raises(ValidationError) as e:
        training_session_create(
            program=program, title="=cmd()", held_on=None, hours=Decimal("99"), by=director
        )
    assert set(e.value.message_dict) == {"title", "held_on", "hours"}
    assert not TrainingSession.objects.exists()


def test_attendance_counts_hours_for_the_program(program, director, mentor, mentee):
    first = _session(program, director, hours="2")
    second = _session(program, director, hours="1.5", title="Sponsorship")
    attendance_set(session=first, person_ids=[mentor.profile.pk], by=director)
    attendance_set(session=second, person_ids=[mentor.profile.pk, mentee.profile.pk], by=director)
    assert training_hours(program=program)[mentor.profile.pk] == Decimal("3.5")
    figures = mentor_training_figures(program=program)
    assert (figures.mentors, figures.trained, figures.hours) == (1, 1, Decimal("3.5"))


def test_attendance_is_only_for_members_of_the_program(program, director, outsider):
    session = _session(program, director)
    with pytest.raises(ValidationError):
        attendance_set(session=session, person_ids=[outsider.profile.pk], by=director)


def test_future_sessions_do_not_count_yet(program, director, mentor):
    session = _session(program, director, days_ago=-7)
    attendance_set(session=session, person_ids=[mentor.profile.pk], by=director)
    assert training_hours(program=program) == {}


def test_the_import_reports_every_bad_row_and_writes_nothing(program, director, mentor, outsider):
    session = _session(program, director)
    data = (
        "Name,Email\n"
        f"Robert,{mentor.email}\n"
        'Evil,=HYPERLINK("x")\n'
        "Tag,<b>x@y.test</b>\n"
        f"Oskar,{outsider.email}\n"
        "Ghost,ghost@northbridge.test\n"
        f"Again,{mentor.email}\n"
    ).encode()
    rows = read_attendance(data, "sheet.csv")
    with pytest.raises(ValidationError) as e:
        attendance_import(session=session, rows=rows, by=director)
    messages = e.value.message_dict["file"]
    assert messages[0].startswith("Row 3:")
    assert "formula" in messages[0]
    assert "markup" in messages[1]
    assert "not a member" in messages[2]
    assert "Nobody with the email" in messages[3]
    assert "Already in row 2" in messages[4]
    assert not TrainingAttendance.objects.exists()


def test_an_xlsx_sheet_imports(program, director, mentor):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Email address"])
    wb.active.append([mentor.email.upper()])
    out = io.BytesIO()
    wb.save(out)
    session = _session(program, director)
    added = attendance_import(
        session=session, rows=read_attendance(out.getvalue(), "s.xlsx"), by=director
    )
    assert added == 1
    assert session.attendances.get().person == mentor.profile


def test_the_rule_refuses_an_untrained_mentor_and_training_lifts_it(
    program, director, mentee, mentor
):
    program.mentor_training_hours_required = 2
    program.save()
    with pytest.raises(PairingRefused) as refused:
        make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    assert [r.code for r in refused.value.reasons] == [Rule.UNTRAINED]
    assert "2 hours" in refused.value.reasons[0].message
    attendance_set(session=_session(program, director), person_ids=[mentor.profile.pk], by=director)
    assert make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)


def test_matching_excludes_untrained_mentors_with_the_reason(program, director, mentee, mentor):
    from matching.engine.scoring import eligibility, exclusion_reasons

    program.mentor_training_hours_required = 1
    program.save()
    problem = load_problem(program=program)
    j = problem.mentor_index()[mentor.profile.pk]
    assert not eligibility(problem.features)[0, j]
    assert exclusion_reasons(problem.features, 0, j) == ["untrained"]


def test_reminders_go_to_untrained_mentors_once_a_day(
    program, director, mentor, django_capture_on_commit_callbacks
):
    program.mentor_training_hours_required = 2
    program.save()
    assert training_reminders_send(program=program, by=director) == 1
    assert training_reminders_send(program=program, by=director) == 0
    n = Notification.objects.get(kind=Kind.TRAINING_REMINDER)
    assert n.recipient == mentor
    context = BUILDERS[Kind.TRAINING_REMINDER](n)
    assert context["required"] == 2
    attendance_set(session=_session(program, director), person_ids=[mentor.profile.pk], by=director)
    assert BUILDERS[Kind.TRAINING_REMINDER](n) is None  # trained since: dropped


def test_recognition_is_for_mentors_of_the_program(program, director, mentor, mentee):
    with pytest.raises(ValidationError) as e:
        recognition_create(
            program=program,
            person=mentee.profile,
            kind="award",
            title="Dean's award",
            awarded_on=timezone.localdate(),
            by=director,
        )
    assert "person" in e.value.message_dict
    recognition_create(
        program=program,
        person=mentor.profile,
        kind="nomination",
        title="Dean's award",
        awarded_on=timezone.localdate(),
        by=director,
    )
    assert MentorRecognition.objects.get().kind == "nomination"


# --- Views ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("director", 200),
        ("admin", 200),
        ("other_director", 404),
        ("mentee", 404),
        ("mentor", 404),
        ("outsider", 404),
    ],
)
def test_the_training_pages_are_for_the_programs_directors(cast, program, who, status, client_for):
    session = _session(program, cast["director"])
    client = client_for(cast[who])
    assert client.get(reverse("program_training", args=[program.pk])).status_code == status
    url = reverse("training_session", args=[program.pk, session.pk])
    assert client.get(url).status_code == status
    remind = client.post(reverse("training_remind", args=[program.pk]))
    assert remind.status_code == (302 if status == 200 else 404)


def test_a_director_records_a_session_and_its_attendance(program, director, mentor, client_for):
    client = client_for(director)
    response = client.post(
        reverse("program_training", args=[program.pk]),
        {"title": "Sponsorship", "held_on": "2026-01-15", "hours": "2", "curriculum": ""},
    )
    session = TrainingSession.objects.get()
    assert response["Location"] == reverse("training_session", args=[program.pk, session.pk])
    client.post(
        reverse("training_session", args=[program.pk, session.pk]),
        {"attendees": [str(mentor.profile.pk)]},
    )
    assert session.attendances.get().person == mentor.profile


def test_a_bad_session_keeps_what_was_typed(program, director, client_for):
    response = client_for(director).post(
        reverse("program_training", args=[program.pk]),
        {"title": "Keep me", "held_on": "", "hours": "100"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'value="Keep me"' in text
    assert not TrainingSession.objects.exists()


def test_an_import_with_errors_lists_rows(program, director, client_for):
    session = _session(program, director)
    upload = SimpleUploadedFile("s.csv", b"Email\n=1+1\n", content_type="text/csv")
    response = client_for(director).post(
        reverse("training_attendance_import", args=[program.pk, session.pk]), {"file": upload}
    )
    assert response.status_code == 400
    assert "Row 2:" in response.content.decode()


def test_a_mentor_sees_their_record_and_downloads_a_certificate(
    program, director, mentor, client_for
):
    session = _session(program, director, title="Giving feedback")
    attendance_set(session=session, person_ids=[mentor.profile.pk], by=director)
    client = client_for(mentor)
    text = client.get(reverse("my_training")).content.decode()
    assert "Giving feedback" in text
    assert 'data-figure="my_training_hours">2<' in text
    pdf = client.get(reverse("my_training_certificate"))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_the_training_page_uses_a_fixed_number_of_queries(program, director, client_for):
    from tests.relationship_fixtures import program_mentor

    client = client_for(director)
    url = reverse("program_training", args=[program.pk])
    attendance_set(
        session=_session(program, director),
        person_ids=[program_mentor(program).profile.pk],
        by=director,
    )
    program_mentor(program)  # one untrained, so the list of those short is not empty
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(10):
        attendance_set(
            session=_session(program, director, title=f"S{n}"),
            person_ids=[program_mentor(program).profile.pk],
            by=director,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)
