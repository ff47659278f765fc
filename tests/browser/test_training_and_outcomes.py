"""Training and outcomes in a real browser: a director records a workshop, ticks who attended
and imports the rest from a spreadsheet, and the mentor sees the hours; a director reads the
outcomes page. axe-core checks each page (the conftest also audits 375 px and 320 px)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from programs.models import AcademicRank, AcademicStream, Departure, RankChange, TrainingSession
from tests.factories import CohortFactory, MembershipFactory, person
from tests.relationship_fixtures import make_relationship, program_mentor

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_director_records_a_training_session_with_its_attendance(
    page, live_server, login, director, mentor, program, axe, tmp_path
):
    second = program_mentor(program, "kofi.mensah@northbridge.test")
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/training/")
    expect(page.get_by_role("heading", name="Mentor training and recognition")).to_be_visible()
    axe(page, context="on the training page")
    page.get_by_label("Title").first.fill("Giving feedback that helps")
    page.get_by_label("Date").first.fill("2026-03-02")
    page.get_by_label("Curriculum or series").fill("Mentor development workshops")
    page.get_by_label("Hours").fill("3")
    page.get_by_role("button", name="Record the session").click()
    expect(page.get_by_role("heading", name="Giving feedback that helps")).to_be_visible()
    axe(page, context="on a session's attendance page")
    page.get_by_label(re.compile("Robert Mentor")).check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Attendance saved: 1 added, 0 removed.")).to_be_visible()
    sheet = tmp_path / "sign-in.csv"
    sheet.write_text(f"Name,Email\nKofi,{second.email}\n")
    page.get_by_label("Attendance sheet (CSV or Excel .xlsx)").set_input_files(str(sheet))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text(re.compile("Imported the sheet: 1 attendee added"))).to_be_visible()
    session = TrainingSession.objects.get()
    assert session.attendances.count() == 2
    login(mentor)
    page.goto(f"{live_server.url}/me/training/")
    expect(page.get_by_text("Giving feedback that helps")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("certificate of hours"))).to_be_visible()
    axe(page, context="on the mentor's training record")


def test_a_director_reads_the_outcomes_page(page, live_server, login, director, program, axe):
    junior, senior = list(AcademicRank.objects.order_by("order"))[:2]
    stream = AcademicStream.objects.order_by("order").first()
    cohort = CohortFactory(program=program, name="2019 intake", starts_on=dt.date(2019, 7, 1))
    mentor = program_mentor(program, capacity=10)
    for i in range(6):
        p = person(f"m{i}@northbridge.test", rank=junior, stream=stream)
        MembershipFactory(program=program, person=p, role="mentee", cohort=cohort)
        make_relationship(program=program, mentees=[p], mentors=[mentor], by=director)
        RankChange.objects.create(
            person=p, rank=junior, effective_on=dt.date(2015, 1, 1), source="roster"
        )
        if i < 3:
            RankChange.objects.create(
                person=p, rank=senior, effective_on=dt.date(2021, 1, 1), source="roster"
            )
    for i in range(6):
        p = person(f"c{i}@northbridge.test", rank=junior, stream=stream)
        if i == 0:
            Departure.objects.create(person=p, left_on=dt.date(2020, 5, 1), source="roster")
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/dashboard/")
    page.get_by_role("link", name="Outcomes").click()
    expect(page.get_by_role("heading", name="Outcomes: promotion and retention")).to_be_visible()
    expect(page.get_by_text("Descriptive, not causal.", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="At a glance")).to_be_visible()
    expect(page.get_by_role("heading", name="2019 intake")).to_be_visible()
    axe(page, context="on the outcomes page")
    page.get_by_label("Follow-up period", exact=True).select_option("10")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text(re.compile("Still in follow-up"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"years=10"))
