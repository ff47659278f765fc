"""The self-evaluation and the mentor offer in a real browser: autosave, reloads, a second tab, a
session that expires, bad input, versions and their comparison, and who gets a 404."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from programs.models import AssessmentStatus, MentorOffer, MentorTraining, SelfAssessment
from programs.services.assessments import assessment_start_draft
from tests.assessment_factories import draft, submitted
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def saved_after(page, action) -> None:
    """Do something that triggers an autosave and wait until the server has it (no sleeping)."""
    before = page.locator("#revision-input").input_value()
    action()
    expect(page.locator("#revision-input")).not_to_have_value(before)
    expect(page.locator("#autosave-status")).to_contain_text("Saved at")


def type_in(page, label: str, text: str, **kwargs) -> None:
    saved_after(page, lambda: page.get_by_label(label, **kwargs).fill(text))


def next_step(page, title: str) -> None:
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def test_a_mentee_completes_the_tool_with_autosave_and_compares_two_versions(
    page, live_server, login, mentee, axe
):
    login(mentee)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Start your self-evaluation").click()
    axe(page, context="on the self-evaluation overview")
    page.get_by_role("button", name="Start your self-evaluation").click()

    # 1. Mission and success
    expect(page.get_by_role("heading", level=1)).to_contain_text("Step 1 of 8 Mission and success")
    expect(page.locator('nav.progress [aria-current="step"]')).to_contain_text(
        "Mission and success"
    )
    axe(page, context="on step 1")
    type_in(page, "What is your mission?", "Build a research program on delirium.")
    type_in(page, "How do you personally define success?", "Funding, and home for dinner.")
    next_step(page, "Professional goals")

    # 2. Goals, by keyboard: Add opens a focused row; Enter in a one-line field saves and goes on.
    axe(page, context="on step 2")
    type_in(page, "Short-term goal 1", "Submit a career award", exact=True)
    saved_after(
        page, lambda: page.get_by_label("Short-term goal 1: status").select_option("in_progress")
    )
    type_in(page, "Long-term goal 1", "Lead a funded research program", exact=True)
    page.get_by_role("button", name="Add a short-term goal").focus()
    page.keyboard.press("Enter")
    second = page.get_by_label("Short-term goal 2", exact=True)
    expect(second).to_be_focused()
    saved_after(page, lambda: page.keyboard.type("Build leadership skills"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Personal goals")

    # 3. Personal goals — then reload mid-way and find the draft as it was.
    axe(page, context="on step 3")
    type_in(page, "What are your personal goals?", "Run a half-marathon.")
    page.reload()
    expect(page.get_by_label("What are your personal goals?")).to_have_value("Run a half-marathon.")
    page.get_by_role("link", name="Self-evaluation", exact=True).first.click()
    expect(page.get_by_text("You stopped at")).to_contain_text("Step 3: Personal goals")
    page.get_by_role("link", name="Continue where you stopped").click()
    type_in(page, "How do your personal goals interface", "Writing happens early.")
    next_step(page, "Strengths and challenges")

    # 4. Strengths and challenges (markup is kept as typed and shown as text)
    axe(page, context="on step 4")
    type_in(page, "What are your strengths?", "Writing <b>and</b> teaching <script>x()</script>")
    type_in(page, "What are your challenges?", "Saying no.")
    next_step(page, "Mentoring needs")

    # 5. Mentoring needs
    axe(page, context="on step 5")
    saved_after(page, lambda: page.get_by_label("Research", exact=True).select_option("1"))
    saved_after(page, lambda: page.get_by_label("Promotion", exact=True).select_option("2"))
    saved_after(page, lambda: page.get_by_role("checkbox", name=re.compile("^Sponsor")).check())
    saved_after(page, lambda: page.get_by_role("radio", name="Someone at my institution").check())
    type_in(page, "Anything else about what you need", "A grant mentor.")
    next_step(page, "What helps you work effectively")

    # 6–8
    axe(page, context="on step 6")
    type_in(page, "What motivates you", "Clear goals.")
    saved_after(page, lambda: page.get_by_role("checkbox", name="Video call").check())
    type_in(page, "How do you work with deadlines?", "Firm dates.")
    next_step(page, "What makes work harder")
    axe(page, context="on step 7")
    type_in(page, "What makes work more challenging", "Interruptions.")
    next_step(page, "Qualities you value in colleagues")
    axe(page, context="on step 8")
    type_in(page, "What qualities do you value", "Timeliness.")
    next_step(page, "Elevator pitch")
    axe(page, context="on the elevator pitch step")
    next_step(page, "Review and submit version 1")

    axe(page, context="on the review page")
    expect(page.get_by_text("Writing <b>and</b> teaching <script>x()</script>")).to_be_visible()
    page.get_by_role("button", name="Submit version 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your self-evaluation, version 1")
    axe(page, context="on a submitted version")

    # A second version: a goal achieved, a need's priority changed.
    page.get_by_role("link", name="Back to your self-evaluation").click()
    page.get_by_role("button", name="Start a new version").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mission and success")
    page.locator("nav.progress").get_by_role("link", name=re.compile("Professional goals")).click()
    saved_after(
        page, lambda: page.get_by_label("Short-term goal 1: status").select_option("achieved")
    )
    page.locator("nav.progress").get_by_role("link", name=re.compile("Mentoring needs")).click()
    saved_after(page, lambda: page.get_by_label("Research", exact=True).select_option("3"))
    page.locator("nav.progress").get_by_role("link", name=re.compile("Review and submit")).click()
    page.get_by_role("button", name="Submit version 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your self-evaluation, version 2")

    page.get_by_role("link", name="Compare versions").click()
    expect(page.get_by_text("Version 1 compared with version 2")).to_be_visible()
    goals = page.locator("section", has=page.get_by_role("heading", name="Goals"))
    expect(goals.locator("tr.change-changed")).to_contain_text("Submit a career award")
    expect(goals.locator("tr.change-changed")).to_contain_text("Achieved")
    needs = page.locator("section", has=page.get_by_role("heading", name="Mentoring needs"))
    expect(needs.locator("tr.change-changed").first).to_contain_text("Research")
    axe(page, context="on the comparison page")
    assert list(
        SelfAssessment.objects.filter(person=mentee.profile).values_list("version", "status")
    ) == [(2, AssessmentStatus.SUBMITTED), (1, AssessmentStatus.SUBMITTED)]


def test_a_second_tab_sees_the_conflict_and_chooses(page, context, live_server, login, mentee):
    assessment = draft(mentee.profile)
    login(mentee)
    url = f"{live_server.url}/me/self-evaluation/{assessment.pk}/mission/"
    page.goto(url)
    other = context.new_page()
    other.goto(url)
    type_in(page, "What is your mission?", "Written in the first tab")
    other.get_by_label("What is your mission?").fill("Written in the second tab")
    panel = other.locator("[data-conflict]")
    expect(panel).to_contain_text("This step was changed in another tab")
    expect(panel.locator(".mine")).to_contain_text("Written in the second tab")
    expect(panel.locator(".theirs")).to_contain_text("Written in the first tab")
    assessment.refresh_from_db()
    assert assessment.mission == "Written in the first tab"
    saved_after(other, lambda: panel.get_by_role("button", name="Keep your version").click())
    expect(other.locator("[data-conflict]")).to_have_count(0)
    assessment.refresh_from_db()
    assert assessment.mission == "Written in the second tab"


def test_text_typed_after_the_session_expired_survives_signing_in_again(
    page, context, live_server, login, mentee
):
    assessment = draft(mentee.profile)
    login(mentee)
    page.goto(f"{live_server.url}/me/self-evaluation/{assessment.pk}/personal/")
    context.clear_cookies(name="sessionid")
    page.get_by_label("What are your personal goals?").fill("Typed after my session ended")
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("You have been signed out")
    status.get_by_role("link", name="Sign in again").click()
    page.get_by_label("Email").fill(mentee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/me/self-evaluation/{assessment.pk}/personal/$"))
    expect(page.get_by_label("What are your personal goals?")).to_have_value(
        "Typed after my session ended"
    )
    expect(page.locator("#restore-notice")).to_contain_text("We restored what you typed")
    expect(status).to_contain_text("Saved at")
    assessment.refresh_from_db()
    assert assessment.personal_goals == "Typed after my session ended"


def test_over_long_answers_and_a_fourth_goal_are_refused_clearly(
    page, live_server, login, mentee, axe
):
    assessment = draft(mentee.profile)
    login(mentee)
    page.goto(f"{live_server.url}/me/self-evaluation/{assessment.pk}/mission/")
    mission = page.get_by_label("What is your mission?")
    mission.fill("x" * 3214)
    expect(page.locator("#id_mission_count")).to_have_text("214 characters over the 3000 limit")
    expect(page.locator("#autosave-status")).to_contain_text("Not saved yet")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Keep this under 3,000 characters — it is 3,214 now.")
    expect(summary).to_be_focused()
    expect(mission).to_have_value("x" * 3214)
    axe(page, context="on a step with an error")
    summary.get_by_role("link").click()
    expect(mission).to_be_focused()

    page.goto(f"{live_server.url}/me/self-evaluation/{assessment.pk}/goals/")
    for n, text in enumerate(["One", "Two", "Three"], start=1):
        if n > 1:
            page.get_by_role("button", name="Add a short-term goal").click()
        type_in(page, f"Short-term goal {n}", text, exact=True)
    page.get_by_role("button", name="Add a short-term goal").click()
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "You can list up to three short-term goals. Remove one to add another."
    )
    for n, text in enumerate(["One", "Two", "Three"], start=1):
        expect(page.get_by_label(f"Short-term goal {n}", exact=True)).to_have_value(text)
    axe(page, context="on the goals step with the refusal")


def test_a_mentor_fills_in_what_they_offer(page, live_server, login, mentor, program, axe):
    login(mentor)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Describe what you offer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What you offer as a mentor")
    axe(page, context="on the mentor offer page")
    page.get_by_role("checkbox", name="Research", exact=True).check()
    page.get_by_role("checkbox", name="Promotion", exact=True).check()
    page.get_by_role("checkbox", name=re.compile("^Coach")).check()
    page.get_by_role("checkbox", name=re.compile("^Sponsor")).check()
    page.get_by_role("radio", name=re.compile("Not at the moment")).check()
    # Within the ten years ahead any date field takes (validators.validate_sensible_date).
    paused_until = timezone.localdate().replace(year=timezone.localdate().year + 2, day=1)
    page.get_by_label("Paused until (optional)").fill(paused_until.isoformat())
    page.get_by_label("Years you have been mentoring").fill("12")
    page.get_by_label("Number of people you have mentored so far").fill("8")
    page.get_by_label("Mentees at once in Program A").fill("3")
    page.get_by_label("Anything else mentees should know").fill("I like monthly meetings.")
    page.get_by_role("button", name="Save what you offer").click()
    expect(page.get_by_role("status")).to_contain_text("Saved what you offer as a mentor.")

    page.get_by_label("Training", exact=True).fill("Mentor development workshop")
    page.get_by_label("Completed on").fill("2024-05-14")
    page.get_by_role("button", name="Add training").click()
    expect(page.locator(".training-list")).to_contain_text("Mentor development workshop")
    axe(page, context="on the mentor offer page with a training")

    offer = MentorOffer.objects.get(person=mentor.profile)
    assert (offer.accepting, offer.paused_until, offer.years_mentoring) == (
        False,
        paused_until,
        12,
    )
    assert offer.roles_offered == ["sponsor", "coach"]
    assert mentor.profile.memberships.get(program=program).mentor_capacity == 3
    assert MentorTraining.objects.filter(person=mentor.profile).count() == 1


@pytest.mark.parametrize("who", ["outsider", "other_director"])
def test_others_get_a_404_for_the_self_evaluation_and_the_offer(
    page, live_server, login, cast, mentee, mentor, who
):
    version = submitted(mentee.profile)
    new_draft = assessment_start_draft(person=mentee.profile, by=mentee)
    MentorOffer.objects.create(person=mentor.profile, notes="Offer")
    login(cast[who])
    for path in (
        f"/self-evaluations/{version.pk}/",
        f"/self-evaluations/{version.pk}/print/",
        f"/me/self-evaluation/{new_draft.pk}/mission/",
        f"/me/self-evaluation/{new_draft.pk}/review/",
        f"/people/{mentor.profile.pk}/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404, path


def test_sharing_printing_and_the_directors_pages_are_accessible(
    page, context, live_server, login, mentee, mentor, director, program, axe
):
    version = submitted(mentee.profile, mission="Kept between us")
    login(mentee)
    page.goto(f"{live_server.url}/self-evaluations/{version.pk}/")
    page.get_by_role("link", name="Share with a mentor").click()
    axe(page, context="on the sharing page")
    page.get_by_label("Share this version with").select_option(label="Robert Mentor")
    page.get_by_role("button", name="Share version 1").click()
    expect(page.get_by_role("status")).to_contain_text("now shared with Robert Mentor")
    page.goto(f"{live_server.url}/self-evaluations/{version.pk}/print/")
    axe(page, context="on the printable view")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_text("Kept between us")).to_be_visible()

    context.clear_cookies()
    login(mentor)
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Maya Mentee — version 1").click()
    expect(page.get_by_text("Kept between us")).to_be_visible()

    context.clear_cookies()
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/members/")
    axe(page, context="on the member list with self-evaluation status")
    page.get_by_role("link", name="Mentoring needs").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mentoring needs")
    axe(page, context="on the program's needs summary")
    page.get_by_role("link", name="Maya Mentee").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maya Mentee: mentoring needs")
    expect(page.get_by_text("Kept between us")).to_have_count(0)
    axe(page, context="on a director's view of one version")
