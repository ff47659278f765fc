"""Email delivery in a real browser: with the relay paused and an email failed, an admin sees
the delivery-health notice on the page they open, follows it, retries the failed email and
resumes sending; a director sees the notice but not the controls. A stale recap confirmation
shows the conflict notice. axe-core checks each page."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification, RelayState, Status
from programs.models import Recap
from programs.services.meetings import recap_write
from tests.relationship_fixtures import past_meeting

pytestmark = pytest.mark.django_db(transaction=True)


def trouble(mentee, program=None) -> Notification:
    RelayState.objects.create(
        pk=1,
        state=RelayState.State.PAUSED,
        since=timezone.now(),
        reason="550 5.7.1 Sender address rejected (sender refused)",
        next_probe_at=timezone.now(),
    )
    return Notification.objects.create(
        recipient=mentee,
        kind=Kind.MEETING_UPCOMING,
        subject="meeting:1",
        cycle="24h",
        due_at=timezone.now(),
        status=Status.FAILED,
        program=program,
        attempts=7,
        last_error="Gave up: 451 4.3.0 Try again later",
    )


def test_an_admin_sees_the_notice_retries_failed_email_and_resumes_sending(
    page, live_server, login, admin, mentee, axe
):
    failed = trouble(mentee)
    login(admin)
    page.goto(f"{live_server.url}/institution/")
    notice = page.locator(".delivery-notice")
    expect(notice).to_contain_text("Email delivery is delayed")
    expect(notice).to_contain_text("sender refused")
    axe(page, context="with the delivery notice")
    notice.get_by_role("link", name=re.compile("Review email delivery")).click()
    expect(page.get_by_role("heading", name="Email delivery", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Gave up"))).to_be_visible()
    axe(page, context="on the delivery page")
    page.screenshot(path="/tmp/email-delivery.png", full_page=True)
    page.get_by_role("button", name=re.compile("Retry all 1 failed email")).click()
    expect(page.get_by_text("1 email will be sent again")).to_be_visible()
    failed.refresh_from_db()
    assert failed.status != Status.FAILED  # retried (here: found no longer relevant)
    page.get_by_role("button", name="Resume sending now").click()
    expect(page.get_by_text("Sending resumed")).to_be_visible()
    assert RelayState.objects.get().state == RelayState.State.OK


def test_a_director_sees_the_notice_without_the_controls(
    page, live_server, login, director, mentee, program, axe
):
    trouble(mentee, program)
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/")
    notice = page.locator(".delivery-notice")
    expect(notice).to_contain_text("could not be delivered")
    expect(notice).to_contain_text("sender refused")  # why
    # Their own program's figures, program by program.
    expect(notice.get_by_role("listitem")).to_contain_text(f"{program.name}: 0 emails waiting")
    expect(notice).to_contain_text("admins can retry")
    axe(page, context="with the director's notice")
    page.screenshot(path="/tmp/director-delivery-notice.png")


def test_confirming_a_recap_rewritten_meanwhile_shows_the_new_text(
    page, live_server, login, pair, mentee, mentor, axe
):
    meeting = past_meeting(pair)
    recap_write(meeting=meeting, text="We agreed on Aim 1.", by=mentor)
    login(mentee)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/#recap")
    expect(page.get_by_role("paragraph").filter(has_text="We agreed on Aim 1.")).to_be_visible()
    # Meanwhile the mentor rewrites it.
    recap_write(
        meeting=meeting,
        text="We agreed on Aims 1 and 2.",
        revision=Recap.objects.get().revision,
        by=mentor,
    )
    page.get_by_role("button", name="I confirm this recap").click()
    expect(page.get_by_role("alert").filter(has_text="nothing was confirmed")).to_be_visible()
    expect(page.get_by_role("paragraph").filter(has_text="Aims 1 and 2.")).to_be_visible()
    axe(page, context="on the recap conflict")
    assert Recap.objects.get().confirmed_at is None
    page.get_by_role("button", name="I confirm this recap").click()
    expect(page.get_by_text("You confirmed the recap.")).to_be_visible()
