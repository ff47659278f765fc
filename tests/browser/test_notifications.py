"""The notification centre in a real browser: the mentee schedules a meeting; the mentor sees an
unread count in the header, finds the invitation in their notifications and follows it to the
meeting, after which it reads as read. Also: an error-summary link to a group of radio buttons
puts the keyboard on its first option."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from mentorship.notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_other_person_is_invited_and_finds_it_in_their_notifications(
    page, context, live_server, login, pair, mentee, mentor, axe
):
    day = timezone.localdate() + timedelta(days=4)
    login(mentee)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/meetings/new/")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Starts at").fill("14:00")
    page.get_by_label("Ends at").fill("15:00")
    page.get_by_role("button", name="Save the meeting").click()
    expect(page.get_by_text("We emailed an invitation to the others")).to_be_visible()
    (invitation,) = [m for m in mail.outbox if m.to == [mentor.email]]
    assert any(a.get_content_type() == "text/calendar" for a in invitation.attachments)

    context.clear_cookies()
    login(mentor)
    page.goto(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Notifications 1 unread")).to_be_visible()
    nav.get_by_role("link", name=re.compile("Notifications")).click()
    expect(page.get_by_role("heading", name="Your notifications")).to_be_visible()
    expect(page.get_by_text("Unread", exact=True)).to_be_visible()
    axe(page, context="on the notification centre")
    page.get_by_role("link", name=re.compile(r"scheduled a meeting with you")).click()
    expect(page.get_by_role("heading", name=re.compile("Meeting on"))).to_be_visible()
    expect(nav.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    assert Notification.objects.get(recipient=mentor).read_at is not None


def test_an_error_link_to_radio_buttons_focuses_the_first_one(
    page, live_server, login, pair, mentee, axe
):
    login(mentee)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/concerns/new/")
    page.get_by_role("button", name="Send to the program directors").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    axe(page, context="on the concern form with errors")
    summary.get_by_role("link", name=re.compile("What is it about")).click()
    first_option = page.get_by_role("radio").first
    expect(first_option).to_be_focused()
