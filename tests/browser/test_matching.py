"""Real-browser matching flows: a mentee asks a mentor from the shortlist and the mentor
accepts; a director proposes matches, watches progress, edits a suggestion and publishes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from matching.models import MatchRun
from matching.services import match_run_execute, request_send
from programs.models import Relationship, RelationshipSource
from tests.matching.conftest import offer
from tests.relationship_fixtures import program_mentee, program_mentor, submitted_assessment

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mentee_asks_a_mentor_who_accepts(page, live_server, login, program, mentee, mentor, axe):
    submitted_assessment(mentee, needs=("research", "promotion"), roles=("sponsor", "coach"))
    offer(mentor)
    login(mentee)
    page.goto(f"{live_server.url}/programs/{program.pk}/mentors/")
    expect(page.get_by_role("heading", name="Find a mentor")).to_be_visible()
    card = page.locator(f"#mentor-{mentor.profile.pk}")
    card.get_by_text("Why this score?").click()
    expect(card.get_by_text("Covers all 2 of your need areas")).to_be_visible()
    axe(page, context="on the shortlist")

    card.get_by_role("link", name=re.compile("Ask Robert to mentor you")).click()
    page.get_by_label("What you would like their help with").select_option(label="Research")
    page.get_by_label("Your message").fill(
        "I am preparing my first R01 and would value your advice."
    )
    axe(page, context="on the request form")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Your request is on its way to Robert Mentor")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Waiting for an answer"))).to_be_visible()

    page.context.clear_cookies()
    login(mentor)
    page.goto(f"{live_server.url}/me/requests/")
    axe(page, context="on the mentor's requests")
    page.get_by_role("link", name="Read and answer").click()
    expect(page.get_by_text("I am preparing my first R01")).to_be_visible()
    axe(page, context="on the request page")
    page.get_by_label("A note to the mentee (optional)").first.fill(
        "Happy to. Let's meet next week."
    )
    page.get_by_role("button", name="Accept and start a pilot").click()
    expect(page.get_by_text("You are now mentoring Maya Mentee")).to_be_visible()
    relationship = Relationship.objects.get()
    assert relationship.source == RelationshipSource.REQUEST
    assert relationship.focus_area.slug == "research"


def test_a_director_proposes_edits_and_publishes(
    page, live_server, login, program, director, monkeypatch, axe
):
    # No worker runs in this test: the job stays queued until the test runs it, so the page
    # shows its progress bar and picks up the result by polling.
    monkeypatch.setattr("matching.services.enqueue_on_commit", lambda *args, **kwargs: None)
    mentors = [program_mentor(program, capacity=2) for _ in range(3)]
    for m in mentors:
        offer(m)
    for _ in range(4):
        submitted_assessment(program_mentee(program), needs=("research",))
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/matching/")
    axe(page, context="on the matching hub")
    page.get_by_label("One mentor per mentee (up to each mentor's capacity)").check()
    page.get_by_role("button", name="Propose matches").click()
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.get_by_text("Waiting for a worker")).to_be_visible()
    axe(page, context="on a running proposal")

    match_run_execute(run_id=MatchRun.objects.get().pk)
    expect(page.get_by_role("heading", name="Summary")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Proven optimal")).to_be_visible()
    # Swapped in without a reload: the result takes focus, the live region says what happened.
    expect(page.locator("#run-result")).to_be_focused()
    expect(page.locator("[data-job-announcer]")).to_have_text(
        "Matching finished: 4 of 4 mentees matched."
    )
    expect(page.locator("#run-status")).to_have_text("Ready for review")
    axe(page, context="on a finished proposal")

    run = MatchRun.objects.get()
    first = run.suggestions.order_by("pk").first()
    row = page.locator(f"#suggestion-{first.pk}")
    row.get_by_text("Change mentor").click()
    load = {m.profile.pk: run.suggestions.filter(mentor=m.profile).count() for m in mentors}
    other = next(m for m in mentors if m.profile.pk != first.mentor_id and load[m.profile.pk] < 2)
    row.get_by_label(re.compile("Another mentor for")).select_option(str(other.profile.pk))
    row.get_by_role("button", name="Use this mentor").click()
    expect(page.get_by_text(f"is now proposed with {other.profile.display_name}")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"Publish 4 relationships")).click()
    expect(page.get_by_text("Published: 4 relationships start their pilot")).to_be_visible()
    assert Relationship.objects.filter(source=RelationshipSource.MATCH_RUN).count() == 4
    assert Relationship.objects.filter(
        members__person=other.profile, members__side="mentor"
    ).exists()


def test_at_the_request_cap_ask_is_disabled_and_says_why(
    page, live_server, login, program, mentee, mentor, axe
):
    submitted_assessment(mentee, needs=("research",), roles=("coach",))
    offer(mentor)
    second = program_mentor(program)
    offer(second)
    program.max_pending_requests = 1
    program.save(update_fields=["max_pending_requests"])
    request_send(
        program=program, mentee=mentee.profile, mentor=mentor.profile, message="Hello", by=mentee
    )
    login(mentee)
    page.goto(f"{live_server.url}/programs/{program.pk}/mentors/")
    card = page.locator(f"#mentor-{second.profile.pk}")
    ask = card.get_by_role("button", name=re.compile("to mentor you"))
    expect(ask).to_be_disabled()
    expect(card.get_by_text("You already have 1 request waiting for an answer")).to_be_visible()
    expect(page.get_by_text("in an order that changes every week")).to_be_visible()
    axe(page, context="on the shortlist at the request cap")


SHOTS = "/tmp/groups_shots"


def test_a_mentee_filters_the_shortlist(page, live_server, login, program, mentee, mentor, axe):
    from programs.models import NeedArea
    from tests.factories import InstitutionFactory

    submitted_assessment(mentee, needs=("research", "promotion"), roles=("sponsor", "coach"))
    offer(mentor, mentors_remotely=False)
    mentor.profile.institution = mentee.profile.institution
    mentor.profile.save(update_fields=["institution"])
    far = program_mentor(program)
    far.profile.given_name, far.profile.family_name = "Remy", "Elsewhere"
    far.profile.institution = InstitutionFactory(name="Far Away University")
    far.profile.save()
    offer(far, areas=("research",), roles=("teacher",), mentors_remotely=True)
    login(mentee)
    page.goto(f"{live_server.url}/programs/{program.pk}/mentors/")
    cards = page.locator("ol.shortlist > li")
    expect(cards).to_have_count(2)
    page.get_by_label("Need area").select_option(str(NeedArea.objects.get(slug="promotion").pk))
    page.get_by_role("button", name="Filter").click()
    expect(cards).to_have_count(1)
    expect(page.locator(f"#mentor-{mentor.profile.pk}")).to_be_visible()
    expect(page.get_by_text("1 other suitable mentor does not match your filters")).to_be_visible()
    expect(page.get_by_label("Need area")).to_have_value(
        str(NeedArea.objects.get(slug="promotion").pk)
    )
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Local or remote").select_option("remote")
    page.get_by_label("Mentor role").select_option("teacher")
    page.get_by_role("button", name="Filter").click()
    expect(cards).to_have_count(1)
    expect(page.locator(f"#mentor-{far.profile.pk}")).to_be_visible()
    expect(page.get_by_text("order that changes every week")).to_be_visible()
    axe(page, context="on a filtered shortlist")
    page.screenshot(path=f"{SHOTS}/shortlist_filtered.png", full_page=True)
    page.get_by_label("Institution").select_option(str(mentee.profile.institution_id))
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No mentor matches these filters")).to_be_visible()


def test_a_director_edits_groups_and_publishes(page, live_server, login, program, director, axe):
    from matching.models import RunMode
    from matching.services import match_run_start

    for _ in range(8):
        program_mentee(program)
    leaders = []
    for _ in range(3):
        leader = program_mentor(program, capacity=1)
        leader.profile.year_joined_faculty = 1990
        leader.profile.save(update_fields=["year_joined_faculty"])
        leaders.append(leader)
    junior = program_mentor(program)
    run = match_run_start(program=program, mode=RunMode.PEER_GROUPS, by=director)
    match_run_execute(run_id=run.pk)
    groups = sorted(set(run.suggestions.values_list("group", flat=True)))
    assert len(groups) == 2
    a, b = groups
    login(director)
    page.goto(f"{live_server.url}/programs/{program.pk}/matching/runs/{run.pk}/")
    expect(page.get_by_role("heading", name=re.compile(r"Group \d"))).to_have_count(2)
    axe(page, context="on a group proposal")
    page.screenshot(path=f"{SHOTS}/groups_proposal.png", full_page=True)

    # A junior facilitator is refused, next to that group's field, with the reason.
    card = page.locator(f"#group-{a}")
    card.get_by_text("Change the facilitator").click()
    card.get_by_label(f"Facilitator for group {a}").select_option(str(junior.profile.pk))
    card.get_by_role("button", name="Use this facilitator").click()
    card = page.locator(f"#group-{a}")
    expect(card.get_by_text("not senior enough to facilitate")).to_be_visible()
    axe(page, context="with a refused facilitator")
    page.screenshot(path=f"{SHOTS}/groups_refused.png", full_page=True)

    spare = next(u for u in leaders if not run.suggestions.filter(mentor=u.profile).exists())
    card.get_by_label(f"Facilitator for group {a}").select_option(str(spare.profile.pk))
    card.get_by_role("button", name="Use this facilitator").click()
    expect(
        page.get_by_text(f"{spare.profile.display_name} now facilitates group {a}")
    ).to_be_visible()

    mover = run.suggestions.filter(group=a).order_by("pk").first()
    row = page.locator(f"#suggestion-{mover.pk}")
    row.get_by_label(re.compile(f"Move {mover.mentee.display_name} to group")).select_option(str(b))
    row.get_by_role("button", name=re.compile("Move")).click()
    expect(
        page.get_by_text(f"{mover.mentee.display_name} is now proposed in group {b}")
    ).to_be_visible()
    expect(page.locator(f"#group-{b}").locator(f"#suggestion-{mover.pk}")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role(
        "button", name=re.compile(r"Publish 2 groups with 8 members and 2 facilitators")
    ).click()
    expect(page.get_by_text("Published: 2 relationships start their pilot")).to_be_visible()
    assert Relationship.objects.filter(kind="facilitated_group").count() == 2
