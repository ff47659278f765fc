"""Relationship reviews in a real browser.

A mentee answers the pilot review from the link in her email — first sending it half-filled and
reading the error summary — and, concerned, scores the relationship low. The director's program
page then shows the pair at risk, with both parties' answers side by side on the results page.
The mentor can neither use her link nor open the results, and sees nothing of her answers.
axe-core finds no violations on the review form, the preferences page and the directors' pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from mentorship.notifications.models import Bounce
from mentorship.notifications.tasks import sweep_pending
from programs.models import RelationshipRisk, ReviewRequest
from programs.services.reminders import due_work_sweep
from programs.services.reviews import default_instrument

pytestmark = pytest.mark.django_db(transaction=True)

COMMENT = "We have not managed to meet since the autumn; I am not sure this is working."


def switch_to(context, login, user) -> None:
    context.clear_cookies()
    login(user)


def review_link(live_server, user) -> str:
    message = next(m for m in mail.outbox if m.to == [user.email] and "review" in m.subject.lower())
    path = re.search(r"https?://[^/\s]+(/reviews/[^\s]+/)", message.body).group(1)
    return f"{live_server.url}{path}"


def test_a_concerned_review_flags_the_pair_for_the_director_and_stays_private(
    page, context, live_server, login, pair, mentee, mentor, director, program, axe
):
    # The pilot ends in ten days: its review is open, and the sweep emails both parties.
    pair.pilot_ends_on = timezone.localdate() + timedelta(days=10)
    pair.save()
    due_work_sweep(now=timezone.now().replace(hour=15))
    sweep_pending()
    link = review_link(live_server, mentee)

    login(mentee)
    page.goto(link)
    expect(page.get_by_role("heading", name=re.compile("Pilot review"))).to_be_visible()
    expect(page.get_by_text("Your answers are private.")).to_be_visible()
    axe(page, context="on the review form")

    # Half-filled: the error summary lists what is missing, nothing is recorded.
    page.get_by_role("button", name="Send my answers").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Choose an answer, or “Not sure”.")
    axe(page, context="on the review form with errors")
    assert not ReviewRequest.objects.filter(completed_at__isnull=False).exists()

    for item in default_instrument().items.all():
        group = page.get_by_role("group", name=item.text)
        answer = "4 — Agree" if item.polarity == "warning" else "2 — Disagree"
        group.get_by_label(answer).check()
    page.get_by_role("group", name="How would you like to go on?").get_by_label(
        "Continue, but revisit our agreement"
    ).check()
    page.get_by_label("A comment for the program directors (optional)").fill(COMMENT)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you — your answers are in")).to_be_visible()
    expect(page.get_by_role("link", name="Open the agreement")).to_be_visible()
    assert RelationshipRisk.objects.filter(relationship=pair, cleared_at__isnull=True).exists()

    # The link works once.
    page.goto(link)
    expect(
        page.get_by_role("heading", name="You have already answered this review")
    ).to_be_visible()

    # The director: the program page and the reviews page show the pair at risk.
    switch_to(context, login, director)
    page.goto(f"{live_server.url}/programs/{program.pk}/")
    expect(page.get_by_role("link", name=re.compile("1 at risk"))).to_be_visible()
    page.get_by_role("link", name=re.compile("Reviews")).click()
    expect(page.get_by_role("heading", name="Relationship reviews")).to_be_visible()
    at_risk = page.get_by_role("table", name="Relationships flagged at risk by their reviews")
    expect(at_risk).to_contain_text("Maya Mentee")
    expect(at_risk).to_contain_text("Review scores below the program's threshold")
    axe(page, context="on the program's reviews page")
    at_risk.get_by_role("link", name=re.compile("Maya Mentee")).click()
    expect(page.get_by_text(COMMENT)).to_be_visible()
    expect(page.get_by_role("heading", name="Flagged at risk")).to_be_visible()
    axe(page, context="on the review results page")
    page.goto(f"{live_server.url}/programs/{program.pk}/reviews/instruments/")
    axe(page, context="on the instruments page")
    page.goto(f"{live_server.url}/programs/{program.pk}/reviews/instruments/new/")
    axe(page, context="on the new instrument form")
    Bounce.objects.create(email=mentor.email, user=mentor, code=550, message="No such user")
    page.goto(f"{live_server.url}/programs/{program.pk}/bounces/")
    expect(page.get_by_role("button", name=re.compile("Try again"))).to_be_visible()
    axe(page, context="on the undeliverable email page")
    page.goto(f"{live_server.url}/programs/{program.pk}/settings/")
    expect(page.get_by_label("Meeting reminder (hours before)")).to_have_value("24")
    axe(page, context="on the program settings form")

    # The mentor: not her link, not the results, no trace of her answers anywhere.
    switch_to(context, login, mentor)
    page.goto(link)
    expect(
        page.get_by_role("heading", name="This review link does not work for you")
    ).to_be_visible()
    response = page.goto(f"{live_server.url}/relationships/{pair.pk}/reviews/")
    assert response.status == 403
    for path in (f"/relationships/{pair.pk}/", "/me/mentoring/", "/me/reviews/", "/"):
        page.goto(f"{live_server.url}{path}")
        text = page.locator("main").inner_text()
        assert COMMENT not in text
        assert "at risk" not in text.lower()
        assert "revisit our agreement" not in text.lower()
    page.goto(f"{live_server.url}/me/notifications/")
    expect(page.get_by_label("Reminders about unanswered reviews")).to_be_visible()
    axe(page, context="on the notification preferences page")
    assert not any(COMMENT in m.body for m in mail.outbox)
