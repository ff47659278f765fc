"""A newcomer in no program asks to join one from their home page; the director approves from
the members page (issue 14)."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from programs.models import Membership, Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_newcomer_asks_to_join_and_the_director_approves(
    page, live_server, login, director, outsider, program, axe
):
    login(outsider)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Welcome, Oskar")).to_be_visible()
    expect(page.get_by_role("link", name="Start your self-evaluation")).to_be_visible()
    axe(page, context="on a newcomer's home page")
    page.get_by_role("link", name=f"Ask to join {program.name}").click()
    axe(page, context="on the ask-to-join page")
    page.get_by_label("A note for the program's directors (optional)").fill(
        "I would like a mentor for my first grant."
    )
    page.get_by_role("button", name="Ask to join").click()
    expect(page.get_by_text(f"Your request to join {program.name} was sent")).to_be_visible()
    expect(page.get_by_text("Request sent")).to_be_visible()
    assert any(m.to == [director.email] and "asks to join" in m.subject for m in mail.outbox)

    page.context.clear_cookies()
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/members/")
    requests = page.locator("section", has=page.get_by_role("heading", name="Asking to join"))
    expect(requests.get_by_text("I would like a mentor for my first grant.")).to_be_visible()
    axe(page, context="on the members page with a request to join")
    requests.get_by_label("Role for Oskar Outsider").select_option("both")
    requests.get_by_role("button", name="Approve Oskar Outsider").click()
    expect(page.get_by_text(f"Oskar Outsider now takes part in {program.name}.")).to_be_visible()
    expect(page.get_by_role("heading", name="Asking to join")).to_have_count(0)
    assert Membership.objects.get(program=program, person=outsider.profile).role == Role.BOTH
    assert any(m.to == [outsider.email] and "Welcome to" in m.subject for m in mail.outbox)
