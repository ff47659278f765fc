"""Real-browser flows of the foundation: editing one's profile, inviting and joining, running a
program's membership."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from programs.models import FacultyProfile, Membership, Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_faculty_member_fixes_a_mistake_in_their_profile(page, live_server, login, mentee, axe):
    login(mentee)
    page.goto(f"{live_server.url}/me/profile/")
    axe(page, context="on the profile form")
    page.get_by_label("Year you joined the faculty").fill("1850")
    page.get_by_label("Time zone").fill("Europe/Lisbon")
    page.get_by_label("Location").fill("Toronto <b>General</b>")
    page.get_by_label("Video call").check()
    page.get_by_role("button", name="Save profile").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("between 1950 and")
    expect(summary).to_contain_text("remove the HTML tags")
    expect(summary).to_be_focused()
    axe(page, context="on the profile form with errors")
    # Nothing typed was lost.
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Lisbon")
    expect(page.get_by_label("Video call")).to_be_checked()

    summary.get_by_role("link", name=re.compile("Year you joined")).click()
    expect(page.get_by_label("Year you joined the faculty")).to_be_focused()
    page.get_by_label("Year you joined the faculty").fill("2019")
    page.get_by_label("Location").fill("Toronto General")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    profile = FacultyProfile.objects.get(user=mentee)
    assert (profile.year_joined_faculty, profile.time_zone) == (2019, "Europe/Lisbon")


def test_an_admin_invites_someone_who_joins_by_the_link(
    page, live_server, login, admin, program, axe
):
    login(admin)
    page.goto(f"{live_server.url}/institution/invite/")
    axe(page, context="on the invitation form")
    page.get_by_label("Email address").fill("nia.new@northbridge.test")
    page.get_by_label("Given name").fill("Nia")
    page.get_by_label("Family name").fill("New")
    page.get_by_label("Program:", exact=True).select_option(label=program.name)
    page.get_by_label("Role in that program").select_option("mentee")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to nia.new@northbridge.test")).to_be_visible()

    link = re.search(r"(https?://\S+/invitations/\S+/)", mail.outbox[-1].body).group(1)
    page.context.clear_cookies()
    page.goto(link.replace("http://testserver", live_server.url))
    expect(page.get_by_role("heading", name="Welcome, Nia")).to_be_visible()
    axe(page, context="on the invitation page")
    page.get_by_label("Choose a password").fill("a-long-new-password")
    page.get_by_label("Type it again").fill("a-long-new-password")
    page.get_by_role("button", name="Set password and continue").click()
    expect(page.get_by_role("heading", name="Welcome, Nia")).to_be_visible()
    expect(page.get_by_role("link", name=program.name)).to_be_visible()


def test_a_director_adds_a_cohort_and_a_member(
    page, live_server, login, director, outsider, program, axe
):
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/")
    page.get_by_role("link", name="Add a cohort").click()
    page.get_by_label("Name").fill("2026–27 new faculty")
    page.get_by_label("Starts on").fill("2026-07-01")
    page.get_by_label("Ends on").fill("2027-06-30")
    page.get_by_role("button", name="Save cohort").click()
    expect(page.get_by_text("Cohort “2026–27 new faculty” saved.")).to_be_visible()

    page.get_by_role("link", name="Members", exact=True).first.click()
    axe(page, context="on the member list")
    form = page.locator("#add-member")
    form.get_by_label("Email address").fill(outsider.email)
    form.get_by_label("Role in the program").select_option("mentor")
    form.get_by_label("Cohort").select_option(label="2026–27 new faculty")
    form.get_by_role("button", name="Add or invite").click()
    expect(page.get_by_text(f"Added {outsider.profile.display_name}")).to_be_visible()
    membership = Membership.objects.get(program=program, person=outsider.profile)
    assert membership.role == Role.MENTOR
    assert membership.cohort.name == "2026–27 new faculty"


def test_the_reference_lists_page_is_accessible(page, live_server, login, admin, axe):
    login(admin)
    page.goto(f"{live_server.url}/institution/reference/need-areas/")
    expect(page.get_by_role("heading", name="Mentoring need areas")).to_be_visible()
    axe(page, context="on the reference lists page")
