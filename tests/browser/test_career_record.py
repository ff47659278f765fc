"""A person's career record in a real browser: a director goes from the program's members to a
mentee's career record, is refused a date in the future by the field (what they typed kept),
records the departure, corrects it and withdraws it. axe-core checks each page (the conftest
also audits 375 px and 320 px)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from programs.domain.reminders import zone
from programs.models import Departure

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_director_records_corrects_and_withdraws_a_departure(
    page, live_server, login, director, mentee, program, axe
):
    # "Today" as the director's page judges it: in their zone, not UTC's (they differ in the
    # evening in the Americas).
    today = timezone.localdate(timezone=zone(director.profile.time_zone))
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/members/")
    page.get_by_role("link", name="Career record of Maya Mentee").click()
    expect(page.get_by_role("heading", name="Career record: Maya Mentee")).to_be_visible()
    expect(page.get_by_text("No departure recorded")).to_be_visible()
    axe(page, context="on the career record")

    page.get_by_label("Date they left").fill(today.replace(year=today.year + 1).isoformat())
    page.get_by_label("Moved to another institution").check()
    page.get_by_label("Note (optional)").fill("To Lakeside University")
    page.get_by_role("button", name="Record the departure").click()
    # The error by the field, and the summary's link to it.
    expect(page.locator("#id_left_on_error")).to_contain_text(
        "Record a departure once it has happened"
    )
    expect(
        page.get_by_role("link", name=re.compile("Date they left: Record a departure"))
    ).to_be_visible()
    expect(page.get_by_label("Note (optional)")).to_have_value("To Lakeside University")
    axe(page, context="on the career record with an error")

    page.get_by_label("Date they left").fill(today.isoformat())
    page.get_by_role("button", name="Record the departure").click()
    expect(page.get_by_text(re.compile("Recorded that Maya Mentee left on"))).to_be_visible()
    expect(page.get_by_role("cell", name="Moved to another institution")).to_be_visible()

    page.get_by_role("link", name=re.compile("Correct the departure")).click()
    expect(page.get_by_role("heading", name=re.compile("Correct the departure of"))).to_be_visible()
    axe(page, context="on the correction page")
    page.get_by_label("Retired").check()
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("Corrected Maya Mentee's departure.")).to_be_visible()
    expect(page.get_by_role("cell", name="Retired")).to_be_visible()

    page.get_by_role("button", name=re.compile("Withdraw the departure")).click()
    expect(page.get_by_text(re.compile("no longer counts in the outcomes"))).to_be_visible()
    expect(page.get_by_text("Withdrawn", exact=True)).to_be_visible()
    departure = Departure.objects.get()
    assert departure.reason == "retired"
    assert departure.is_withdrawn
