"""Meetings in a real browser: the mentee schedules a meeting and prepares an agenda, the mentor
sees it ahead of time, and after the meeting both log it with action items and confirm the
recap. Time moves with time-machine, never with sleeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from programs.models import ActionItem, Meeting, MeetingStatus, Recap
from tests.relationship_fixtures import submitted_assessment

pytestmark = pytest.mark.django_db(transaction=True)


def switch_to(context, login, user) -> None:
    context.clear_cookies()
    login(user)


def test_agenda_meeting_log_action_items_and_recap(
    page, context, live_server, login, pair, mentee, mentor, axe
):
    goal = submitted_assessment(mentee).goals.first()
    day = timezone.localdate() + timedelta(days=3)

    # The mentee schedules the meeting and prepares the agenda.
    login(mentee)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/")
    page.get_by_role("link", name="Schedule a meeting").click()
    axe(page, context="on the meeting form")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Starts at").fill("09:00")
    page.get_by_label("Ends at").fill("10:00")
    page.get_by_label("How:", exact=True).select_option(label="Video call")
    page.get_by_label("Video link (optional)").fill("https://video.example/room-1")
    page.get_by_role("button", name="Save the meeting").click()
    expect(page.get_by_text("Meeting scheduled.")).to_be_visible()
    expect(page.get_by_text("09:00–10:00 your time (America/Toronto)")).to_be_visible()

    agenda_section = page.get_by_role("region", name="Agenda")
    agenda_section.get_by_label("Topic").fill("Specific aims for the K award")
    agenda_section.get_by_label("Linked goal (optional)").select_option(label=goal.text)
    agenda_section.get_by_label("My thinking so far (optional)").fill(
        "Aim 2 could use the cohort design."
    )
    agenda_section.get_by_role("button", name="Add to the agenda").click()
    expect(page.get_by_text("Added to the agenda")).to_be_visible()
    axe(page, context="on an upcoming meeting with an agenda")
    meeting = Meeting.objects.get()

    # The mentor sees it ahead of time, from their dashboard.
    switch_to(context, login, mentor)
    page.goto(f"{live_server.url}/me/mentoring/")
    page.get_by_role("link", name=day.strftime("%a %-d %b") + ", 09:00").click()
    agenda = page.locator("ol.agenda")
    expect(agenda).to_contain_text("Specific aims for the K award")
    expect(agenda).to_contain_text("Aim 2 could use the cohort design.")
    expect(agenda).to_contain_text(goal.text)

    # After the meeting: the mentor logs it, adds an action item and writes the recap.
    with time_machine.travel(meeting.starts_at + timedelta(hours=2), tick=True):
        switch_to(context, login, mentor)  # a fresh session in the new "now"
        page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
        page.get_by_role("textbox", name="Shared notes:").fill(
            "Agreed on the cohort design for Aim 2."
        )
        page.get_by_role("button", name="Save shared notes").click()
        expect(page.get_by_text("Shared notes saved.")).to_be_visible()
        page.get_by_label("Career").check()
        page.get_by_label("Research").check()
        page.get_by_label("Next meeting (date)").fill((day + timedelta(days=30)).isoformat())
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Meeting logged.")).to_be_visible()

        actions = page.get_by_role("region", name="Action items from this meeting")
        actions.get_by_text("Add an action item").click()
        actions.get_by_label("Action:").fill("Draft the aims page")
        actions.get_by_label("Who").select_option(label="Maya Mentee")
        actions.get_by_label("Due (optional)").fill((day + timedelta(days=14)).isoformat())
        actions.get_by_role("button", name="Add action").click()
        expect(page.get_by_text("Action added: Draft the aims page.")).to_be_visible()

        page.get_by_label("Recap: what we agreed").fill(
            "Aim 2 uses the cohort design; Maya drafts the aims page in two weeks."
        )
        page.get_by_role("button", name="Save the recap").click()
        expect(page.get_by_text("Awaiting confirmation")).to_be_visible()

        # The mentee reads and confirms the recap ("reiterate and review").
        switch_to(context, login, mentee)
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name="Read the recap").click()
        expect(
            page.get_by_role("paragraph").filter(has_text="Maya drafts the aims page")
        ).to_be_visible()
        page.get_by_role("button", name="I confirm this recap").click()
        expect(page.get_by_text("Confirmed by Maya Mentee")).to_be_visible()
        expect(page.locator("#actions")).to_contain_text("Draft the aims page")
        page.get_by_role("textbox", name="My private notes:").fill(
            "I felt rushed; ask for more time next."
        )
        page.get_by_role("button", name="Save my private notes").click()
        expect(page.get_by_text("Only you can see them.")).to_be_visible()
        axe(page, context="on a held meeting with notes, actions and a recap")

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.checklist == ["career", "research"]
    assert Recap.objects.get(meeting=meeting).confirmed_by == mentee.profile
    assert ActionItem.objects.get().owner == mentee.profile


def test_notes_autosave_and_a_two_browser_conflict_loses_nothing(
    browser, live_server, login, pair, mentee, mentor, axe
):
    from tests.relationship_fixtures import past_meeting

    meeting = past_meeting(pair)
    url = f"{live_server.url}/meetings/{meeting.pk}/"
    pages = {}
    for user in (mentee, mentor):
        ctx = browser.new_context(timezone_id="America/Toronto")
        _plant_session(ctx, live_server, user)
        pages[user] = ctx.new_page()
        pages[user].goto(url)
    mentee_page, mentor_page = pages[mentee], pages[mentor]
    # The mentee types; nobody presses Save: it is saved all the same.
    mentee_page.get_by_role("textbox", name="Shared notes:").fill("Mentee wrote this.")
    expect(mentee_page.locator("#notes [data-autosave-status]")).to_contain_text("Saved at")
    meeting.refresh_from_db()
    assert meeting.shared_notes == "Mentee wrote this."
    # The mentor's page still holds the old revision: their autosave is a conflict.
    mentor_page.get_by_role("textbox", name="Shared notes:").fill("Mentor wrote that.")
    expect(mentor_page.get_by_role("heading", name="Saved by Maya Mentee")).to_be_visible()
    expect(mentor_page.locator("#notes-conflict .saved-notes")).to_have_text("Mentee wrote this.")
    expect(mentor_page.locator("#notes [data-autosave-status]")).to_contain_text("Not saved")
    expect(mentor_page.get_by_role("textbox", name="Shared notes:")).to_have_value(
        "Mentor wrote that."
    )
    meeting.refresh_from_db()
    assert meeting.shared_notes == "Mentee wrote this."
    axe(mentor_page, context="on an autosave conflict")
    # Autosave waits for the merge; Save goes through against the revision now shown.
    mentor_page.get_by_role("textbox", name="Shared notes:").fill(
        "Mentee wrote this.\nMentor wrote that."
    )
    mentor_page.get_by_role("button", name="Save shared notes").click()
    expect(mentor_page.get_by_text("Shared notes saved.")).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.shared_notes == "Mentee wrote this.\nMentor wrote that."


def test_private_notes_typed_in_two_tabs_show_the_conflict(
    page, context, live_server, login, pair, mentee
):
    from programs.models import PrivateNote
    from tests.relationship_fixtures import past_meeting

    meeting = past_meeting(pair)
    login(mentee)
    url = f"{live_server.url}/meetings/{meeting.pk}/"
    page.goto(url)
    other = context.new_page()
    other.goto(url)
    page.get_by_role("textbox", name="My private notes:").fill("First tab")
    expect(page.locator("#private [data-autosave-status]")).to_contain_text("Saved at")
    other.get_by_role("textbox", name="My private notes:").fill("Second tab")
    expect(other.get_by_role("heading", name="Saved from your other window")).to_be_visible()
    expect(other.locator("#private-conflict .saved-notes")).to_have_text("First tab")
    assert PrivateNote.objects.get().text == "First tab"
    other.close()


def test_saving_another_section_keeps_unsaved_notes(page, live_server, login, pair, mentor):
    from tests.relationship_fixtures import past_meeting

    meeting = past_meeting(pair, status=MeetingStatus.SCHEDULED)
    login(mentor)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    notes = page.get_by_role("textbox", name="Shared notes:")
    notes.fill("Typed just before saving the log")
    page.get_by_label("Career").check()
    # Straight away, before the autosave delay has passed.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Meeting logged.")).to_be_visible()
    expect(notes).to_have_value("Typed just before saving the log")
    meeting.refresh_from_db()
    assert meeting.shared_notes == "Typed just before saving the log"
    assert meeting.checklist == ["career"]


def test_leaving_a_page_with_unsaved_text_asks_first(page, live_server, login, pair, mentee):
    meeting_url = f"{live_server.url}/relationships/{pair.pk}/"
    login(mentee)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/concerns/new/")
    dialogs = []

    def stay(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    box = page.locator("textarea").first
    box.click()
    box.press_sequentially("Something I have not sent yet")
    page.get_by_role("link", name="Home").first.click()
    expect(box).to_have_value("Something I have not sent yet")
    assert dialogs == ["beforeunload"]
    # Nothing typed: no question.
    page.remove_listener("dialog", stay)
    page.goto(meeting_url)
    page.get_by_role("link", name="Home").first.click()
    expect(page).to_have_url(f"{live_server.url}/")


def _plant_session(ctx, live_server, user) -> None:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    ctx.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
