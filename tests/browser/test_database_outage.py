"""The database being away, in a real browser: the person who was writing sees the outage page,
presses Back, finds everything they typed still in the form, sends it again once the database
is back, and it is recorded once — however often they resend it afterwards."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from playwright.sync_api import expect

from programs.models import Concern

pytestmark = pytest.mark.django_db(transaction=True)

# Where a request first touches the database: loading the session (see tests/mentorship/test_errors.py).
LOAD = "django.contrib.sessions.backends.db.SessionStore.load"
TEXT = "My mentor has not answered an email since March; our grant deadline is in June."


@pytest.mark.no_audit  # the outage page is audited in tests/mentorship/test_errors.py
def test_what_was_typed_survives_an_outage_and_is_sent_once_after_it(
    page, live_server, login, pair, mentee
):
    login(mentee)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/concerns/new/")
    page.get_by_label("Unresponsive or not committed").check()
    page.get_by_label("What happened").fill(TEXT)
    with mock.patch(LOAD, side_effect=OperationalError("connection refused")):
        page.get_by_role("button", name="Send to the program directors").click()
        expect(page.get_by_text("briefly unavailable")).to_be_visible()
    assert not Concern.objects.exists()

    page.go_back()  # the database is back; so is the form, as it was left
    expect(page.get_by_label("What happened")).to_have_value(TEXT)
    expect(page.get_by_label("Unresponsive or not committed")).to_be_checked()
    page.get_by_role("button", name="Send to the program directors").click()
    expect(page.get_by_role("heading", name="Confidential concern")).to_be_visible()
    sent_to = page.url

    page.go_back()  # and once more: Back, then send the same form again
    page.get_by_role("button", name="Send to the program directors").click()
    page.wait_for_load_state()
    assert list(Concern.objects.values_list("text", flat=True)) == [TEXT]
    assert page.url == sent_to, page.content()
    expect(page.get_by_text("already sent once")).to_be_visible()
