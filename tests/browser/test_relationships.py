"""Relationships in a real browser: a director pairs people, both fill in and confirm the
agreement, the board and the dashboard, adding an outside mentor, the calendar feed page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from programs.models import AgreementVersion, Relationship
from tests.relationship_fixtures import submitted_assessment

pytestmark = pytest.mark.django_db(transaction=True)


def switch_to(context, login, user) -> None:
    context.clear_cookies()
    login(user)


def test_a_director_creates_a_relationship(
    page, live_server, login, director, mentee, mentor, program, reference_data, axe
):
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/relationships/")
    axe(page, context="on the director's relationship list")
    page.get_by_role("link", name="New relationship").click()
    expect(page.get_by_role("heading", name="New relationship")).to_be_visible()
    axe(page, context="on the new relationship form")
    page.get_by_label("Mentee(s) or peers").select_option(label="Maya Mentee")
    page.get_by_label("Mentor:", exact=True).select_option(label="Robert Mentor")
    page.get_by_label("Focus").select_option(label="Research")
    page.get_by_label("Sponsor").check()
    page.get_by_role("button", name="Create the relationship").click()
    expect(page.get_by_role("heading", name="Maya Mentee and Robert Mentor")).to_be_visible()
    expect(page.get_by_text("never what was said in its meetings")).to_be_visible()
    axe(page, context="on the director's view of a relationship")
    assert Relationship.objects.get().roles == ["sponsor"]


def test_the_new_relationship_form_shows_errors_accessibly(
    page, live_server, login, director, program, axe
):
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/relationships/new/")
    page.get_by_role("button", name="Create the relationship").click()
    expect(page.get_by_role("alert")).to_contain_text("Mentee(s) or peers")
    axe(page, context="on the new relationship form with errors")


def test_both_parties_fill_in_and_confirm_the_agreement(
    page, context, live_server, login, pair, mentee, mentor, axe
):
    goal = submitted_assessment(mentee).goals.first()
    login(mentee)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/")
    axe(page, context="on the mentee's relationship page")
    page.get_by_role("link", name="Open the agreement").click()
    expect(page.get_by_role("heading", name="Our agreement")).to_be_visible()
    axe(page, context="on the agreement page")
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("How often we meet").select_option(label="Every six weeks")
    page.get_by_label("Phone").check()
    page.get_by_label(goal.text).check()
    page.get_by_label("How we will judge progress").fill("K award submitted by June.")
    axe(page, context="on the agreement form")
    page.get_by_role("button", name="Save the agreement").click()
    # Whoever proposes the wording has confirmed it by proposing it.
    expect(page.get_by_text("Proposing it counts as your confirmation")).to_be_visible()
    expect(page.get_by_text("Waiting for Robert Mentor")).to_be_visible()
    expect(page.get_by_role("button", name="I confirm this agreement")).to_have_count(0)

    switch_to(context, login, mentor)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Open the agreement").click()
    expect(page.get_by_text("K award submitted by June.")).to_be_visible()
    expect(page.get_by_text("Every six weeks")).to_be_visible()
    page.get_by_role("button", name="I confirm this agreement").click()
    expect(page.get_by_text("Everyone has confirmed: the agreement is in force.")).to_be_visible()
    expect(page.get_by_text("Version 1 — confirmed by everyone")).to_be_visible()
    axe(page, context="on a confirmed agreement")
    version = AgreementVersion.objects.get(agreement__relationship=pair)
    assert version.confirmed_at is not None
    assert list(version.goals.all()) == [goal]

    # A change after confirmation is a new version, and both see what changed.
    page.get_by_role("link", name="Propose a change").click()
    page.get_by_label("How often we meet").select_option(label="Monthly")
    page.get_by_role("button", name="Save the agreement").click()
    switch_to(context, login, mentee)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/agreement/")
    changes = page.get_by_role("table", name="Changes between versions")
    expect(changes).to_contain_text("Every six weeks")
    expect(changes).to_contain_text("Monthly")
    axe(page, context="on an agreement with changes to confirm")


def test_the_board_and_the_mentor_dashboard(
    page, context, live_server, login, pair, group, mentee, mentor, axe
):
    submitted_assessment(mentee)
    login(mentee)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="My board of mentors").click()
    expect(page.get_by_role("heading", name="My board of mentors")).to_be_visible()
    expect(page.get_by_role("link", name="Robert Mentor")).to_be_visible()
    expect(page.get_by_role("table", name="Mentoring needs and who covers them")).to_contain_text(
        "Gap"
    )
    axe(page, context="on the mentee's board")

    switch_to(context, login, mentor)
    page.goto(f"{live_server.url}/me/mentoring/")
    table = page.get_by_role("table")
    expect(table).to_contain_text("Maya Mentee")
    expect(table).to_contain_text("Facilitated peer group")
    expect(page.get_by_text("2 of 3")).to_be_visible()
    axe(page, context="on the mentor's dashboard")


def test_a_mentee_adds_an_outside_mentor(page, live_server, login, mentee, program, axe):
    login(mentee)
    page.goto(f"{live_server.url}/me/board/")
    page.get_by_role("link", name="Add an outside mentor").click()
    axe(page, context="on the outside mentor form")
    page.get_by_label("Their given name").fill("Ada")
    page.get_by_label("Their family name").fill("Lovelace")
    page.get_by_label("Their email address").fill("ada@elsewhere.example")
    page.get_by_label("Their institution").fill("Elsewhere University")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("We emailed Ada Lovelace your invitation")).to_be_visible()
    # Nothing starts before they accept: the invitation waits on the board, to withdraw.
    invited = page.locator(
        "section", has=page.get_by_role("heading", name="Outside mentors you invited")
    )
    expect(invited.get_by_text("Ada Lovelace")).to_be_visible()
    axe(page, context="on the board with a pending invitation")
    page.once("dialog", lambda dialog: dialog.accept())
    invited.get_by_role("button", name="Withdraw the invitation to Ada Lovelace").click()
    expect(page.get_by_text("You withdrew the invitation to Ada Lovelace.")).to_be_visible()
    expect(page.get_by_role("heading", name="Outside mentors you invited")).to_have_count(0)


def test_the_calendar_feed_page(page, live_server, login, mentee, axe):
    login(mentee)
    page.goto(f"{live_server.url}/me/calendar/")
    axe(page, context="on the calendar feed page")
    page.get_by_role("button", name="Create my calendar address").click()
    address = page.get_by_label(re.compile("Copy it now"))
    expect(address).to_have_value(re.compile(r"/calendar/.+\.ics$"))
    axe(page, context="on the calendar feed page with a new address")
    response = page.request.get(address.input_value())
    assert response.status == 200
    assert response.text().startswith("BEGIN:VCALENDAR")


def test_the_remaining_relationship_pages_are_accessible(
    page, live_server, login, pair, mentee, mentor, axe
):
    from programs.services.relationships import relationship_conclude
    from tests.relationship_fixtures import upcoming_meeting

    meeting = upcoming_meeting(pair)
    login(mentee)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Your mentoring", exact=True)).to_be_visible()
    axe(page, context="on the home page with relationship next steps")
    page.goto(f"{live_server.url}/relationships/{pair.pk}/check-ins/new/")
    axe(page, context="on the check-in form")
    page.get_by_label("What you exchanged").fill("Sent my draft by email.")
    page.get_by_role("button", name="Log the check-in").click()
    expect(page.get_by_text("Check-in logged.")).to_be_visible()
    page.get_by_role("link", name=re.compile("Check-in on")).click()
    axe(page, context="on a check-in")
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/edit/")
    axe(page, context="on the reschedule form")
    page.goto(f"{live_server.url}/relationships/{pair.pk}/agreement/?history=1")
    axe(page, context="on the agreement history")
    relationship_conclude(relationship=pair, by=mentee)
    relationship_conclude(relationship=pair, by=mentor)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/")
    expect(page.get_by_role("heading", name="Concluded — goals met")).to_be_visible()
    axe(page, context="on a concluded relationship")
