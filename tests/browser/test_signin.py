"""Signing in through the real form and landing on each role's home page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, live_server, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_page_is_accessible(page, live_server, axe):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    axe(page, context="on the sign-in page")


def test_a_mentee_signs_in_and_sees_their_programs(page, live_server, mentee, program, axe):
    sign_in(page, live_server, mentee.email)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Welcome, Maya")).to_be_visible()
    expect(page.get_by_role("heading", name="Your programs")).to_be_visible()
    expect(page.get_by_role("link", name=program.name)).to_be_visible()
    axe(page, context="on the mentee's home page")


def test_a_director_signs_in_and_sees_the_programs_they_direct(
    page, live_server, director, program, axe
):
    sign_in(page, live_server, director.email)
    expect(page.get_by_role("heading", name="Programs you direct")).to_be_visible()
    expect(page.get_by_role("link", name="Members")).to_be_visible()
    axe(page, context="on the director's home page")


def test_an_admin_signs_in_and_sees_all_programs(
    page, live_server, admin, program, other_program, axe
):
    sign_in(page, live_server, admin.email)
    expect(page.get_by_role("heading", name="All programs")).to_be_visible()
    expect(page.get_by_role("link", name="Program A")).to_be_visible()
    expect(page.get_by_role("link", name="Program B")).to_be_visible()
    axe(page, context="on the admin's home page")


def test_a_wrong_password_says_so_and_keeps_the_email(page, live_server, mentee):
    sign_in(page, live_server, mentee.email, password="not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    expect(page.get_by_label("Email")).to_have_value(mentee.email)
