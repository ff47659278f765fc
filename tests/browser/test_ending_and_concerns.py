"""No-fault endings and confidential concerns in a real browser.

- A mentee ends a relationship in two clicks without a reason; the mentor sees only the neutral
  notice, on the page and in their email.
- A concern filed by a mentee leaves no trace for the mentor — in any page, count or email —
  while the director sees it, acknowledges and resolves it, and the view is logged."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from programs.models import AuditEvent, Concern, RelationshipStage
from tests.relationship_fixtures import past_meeting

pytestmark = pytest.mark.django_db(transaction=True)

CONCERN_TEXT = "Dr. Mentor presented my pilot data at grand rounds as their own."


def switch_to(context, login, user) -> None:
    context.clear_cookies()
    login(user)


def test_a_mentee_ends_without_a_reason_and_the_mentor_sees_only_a_kind_notice(
    page, context, live_server, login, pair, mentee, mentor, axe
):
    login(mentee)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/")
    page.get_by_role("link", name="End this relationship").click()  # click one
    expect(page.get_by_role("heading", name="End this relationship")).to_be_visible()
    expect(page.get_by_text("you do not owe anyone an explanation")).to_be_visible()
    axe(page, context="on the ending page")
    mail.outbox.clear()
    page.get_by_role("button", name="End the relationship").click()  # click two
    expect(page.get_by_text("The relationship has ended.")).to_be_visible()
    expect(page.get_by_role("link", name="Look for another mentor")).to_be_visible()
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.ENDED
    assert pair.ended_reason == ""

    switch_to(context, login, mentor)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/")
    notice = page.get_by_role("region", name="This relationship has ended")
    expect(notice).to_contain_text("Endings are a normal part of mentoring")
    body = page.locator("main").inner_text()
    assert "Maya Mentee ended" not in body
    assert "reason" not in body.lower()
    expect(page.get_by_role("link", name="Schedule a meeting")).to_have_count(0)
    axe(page, context="on an ended relationship, as the other party")

    assert [m.to for m in mail.outbox] == [[mentor.email]]
    assert "not a judgement of anyone" in mail.outbox[0].body
    assert "Maya Mentee ended" not in mail.outbox[0].body
    assert "because" not in mail.outbox[0].body


def test_the_reason_reaches_the_director_only(
    page, context, live_server, login, pair, mentee, mentor, director, axe
):
    login(mentee)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/end/")
    page.get_by_label("Anything the program directors should know?").fill(
        "We kept cancelling; the fit was not right."
    )
    page.get_by_role("button", name="End the relationship").click()
    expect(page.get_by_text("The relationship has ended.")).to_be_visible()

    switch_to(context, login, mentor)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/")
    expect(page.get_by_text("the fit was not right")).to_have_count(0)

    switch_to(context, login, director)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/")
    expect(page.get_by_role("heading", name="Why it ended (directors only)")).to_be_visible()
    expect(page.get_by_text("We kept cancelling; the fit was not right.")).to_be_visible()
    axe(page, context="on the director's view of an ended relationship")


def test_a_concern_is_invisible_to_the_mentor_everywhere(
    page, context, live_server, login, pair, mentee, mentor, director, axe
):
    meeting = past_meeting(pair)
    mentor_pages = [
        "/",
        "/me/mentoring/",
        f"/relationships/{pair.pk}/",
        f"/relationships/{pair.pk}/agreement/",
        f"/meetings/{meeting.pk}/",
    ]

    def mentor_view() -> dict[str, str]:
        texts = {}
        for path in mentor_pages:
            page.goto(f"{live_server.url}{path}")
            texts[path] = page.locator("main").inner_text()
        return texts

    login(mentor)
    before = mentor_view()

    switch_to(context, login, mentee)
    page.goto(f"{live_server.url}/relationships/{pair.pk}/")
    page.get_by_role("link", name="Raise a confidential concern").click()
    expect(page.get_by_text("This goes to the directors of Program A only.")).to_be_visible()
    axe(page, context="on the concern form")
    page.get_by_label("Credit taken for my work, or unclear authorship").check()
    page.get_by_label("What happened").fill(CONCERN_TEXT)
    mail.outbox.clear()
    page.get_by_role("button", name="Send to the program directors").click()
    expect(page.get_by_text("Your concern went to the program directors only.")).to_be_visible()
    expect(page.get_by_text(CONCERN_TEXT)).to_be_visible()
    axe(page, context="on the raiser's view of their concern")
    concern = Concern.objects.get()

    # The mentor: every page reads exactly as before, and no email reached them.
    switch_to(context, login, mentor)
    after = mentor_view()
    assert after == before
    for text in after.values():
        assert CONCERN_TEXT not in text
        assert "Credit taken" not in text
    response = page.goto(f"{live_server.url}/concerns/{concern.pk}/")
    assert response.status == 404
    assert all(mentor.email not in m.to for m in mail.outbox)
    assert [m.to for m in mail.outbox] == [[director.email]]
    assert CONCERN_TEXT not in mail.outbox[0].body

    # The director sees it, acknowledges and resolves it; the view is logged.
    switch_to(context, login, director)
    page.goto(f"{live_server.url}/programs/{pair.program_id}/concerns/")
    axe(page, context="on the director's concern list")
    page.get_by_role("link", name="Credit taken for my work, or unclear authorship").click()
    expect(page.get_by_text(CONCERN_TEXT)).to_be_visible()
    axe(page, context="on the director's view of a concern")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Acknowledged by Helen Director")).to_be_visible()
    page.get_by_label("Add a note").fill("Met the mentee; will speak to the chair.")
    page.get_by_role("button", name="Add note").click()
    page.get_by_label("What was done").fill("Authorship corrected on the poster.")
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.get_by_text("Concern resolved.")).to_be_visible()
    views = page.get_by_role("region", name="Who has opened it")
    expect(views.get_by_role("listitem").first).to_contain_text("Helen Director")
    assert AuditEvent.objects.filter(verb="concern.view", actor=director).count() >= 1

    # Still nothing for the mentor, even after the director acted.
    switch_to(context, login, mentor)
    assert mentor_view() == before
