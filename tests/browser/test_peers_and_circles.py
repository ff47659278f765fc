"""Peers are first-class (issue 16): a participant proposes a peer pairing that the other accepts;
asks to join a circle that its facilitator approves; an outside mentor accepts a mentee's
invitation on first sign-in, setting their time zone (prefilled from the browser's)."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from matching.models import RequestStatus
from programs.models import (
    FacultyProfile,
    Invitation,
    MentoringModel,
    Relationship,
    RelationshipKind,
    RelationshipMember,
)
from programs.services.invitations import invitation_token
from tests.relationship_fixtures import make_relationship, program_mentee

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def peer_program(program):
    program.allowed_models = [MentoringModel.PEER, MentoringModel.FACILITATED_GROUP]
    program.save(update_fields=["allowed_models"])
    return program


def test_a_peer_proposes_a_pairing_and_the_other_accepts(
    page, live_server, login, mentee, peer_program, axe
):
    peer = program_mentee(
        peer_program, "priya@northbridge.test", given_name="Priya", family_name="Peer"
    )
    login(mentee)
    page.goto(f"{live_server.url}/programs/{peer_program.pk}/")
    page.get_by_role("link", name="Peers and circles").click()
    expect(page.get_by_role("heading", name="Peers and circles", level=1)).to_be_visible()
    axe(page, context="on the peers page")
    page.get_by_role("link", name="Propose a peer pairing with Priya Peer").click()
    axe(page, context="on the proposal form")
    page.get_by_label("Your message").fill("Shall we swap grant drafts every month?")
    page.get_by_role("button", name="Send proposal").click()
    expect(page.get_by_text("Your proposal is on its way to Priya Peer")).to_be_visible()
    expect(page.get_by_role("heading", name="Your proposals (1 of 3)")).to_be_visible()
    assert any(m.to == [peer.email] for m in mail.outbox)

    page.context.clear_cookies()
    login(peer)
    page.goto(f"{live_server.url}/programs/{peer_program.pk}/peers/")
    page.get_by_role("link", name="Maya Mentee proposes that you pair as peers").click()
    expect(page.get_by_text("Shall we swap grant drafts every month?")).to_be_visible()
    axe(page, context="on the proposal's page")
    page.get_by_role("button", name="Accept and start a peer pilot").click()
    expect(page.get_by_text("You and Maya Mentee are now peers")).to_be_visible()
    relationship = Relationship.objects.get(kind=RelationshipKind.PEER)
    assert {m.person.user for m in relationship.members.all()} == {mentee, peer}
    assert any(m.to == [mentee.email] and "accepted" in m.subject for m in mail.outbox)


def test_a_participant_asks_to_join_a_circle_and_the_facilitator_approves(
    page, live_server, login, mentee, mentor, peer_program, axe
):
    circle = make_relationship(
        program=peer_program,
        kind=RelationshipKind.FACILITATED_GROUP,
        mentees=[program_mentee(peer_program, f"c{i}@northbridge.test") for i in range(3)],
        facilitator=mentor,
    )
    login(mentee)
    page.goto(f"{live_server.url}/programs/{peer_program.pk}/peers/")
    card = page.locator(f"#circle-{circle.pk}")
    expect(card.get_by_text("Robert Mentor")).to_be_visible()
    card.get_by_role("link", name="Ask to join").click()
    axe(page, context="on the ask-to-join-a-circle page")
    page.get_by_label("A note for the circle's facilitator (optional)").fill(
        "I am preparing my promotion dossier too."
    )
    page.get_by_role("button", name="Ask to join").click()
    expect(page.get_by_text("Your request to join the circle was sent")).to_be_visible()
    expect(page.locator(f"#circle-{circle.pk}").get_by_text("You asked to join on")).to_be_visible()
    assert any(
        m.to == [mentor.email] and "asks to join your circle" in m.subject for m in mail.outbox
    )

    page.context.clear_cookies()
    login(mentor)
    page.goto(f"{live_server.url}/relationships/{circle.pk}/")
    expect(page.get_by_text("1 request to join this circle waits for your answer")).to_be_visible()
    page.get_by_role("link", name="Requests to join").click()
    expect(page.get_by_text("I am preparing my promotion dossier too.")).to_be_visible()
    axe(page, context="on the circle's requests to join")
    page.get_by_role("button", name="Approve Maya Mentee").click()
    expect(page.get_by_text("Maya Mentee is now in the circle")).to_be_visible()
    assert RelationshipMember.objects.filter(relationship=circle, person=mentee.profile).exists()
    assert any(
        m.to == [mentee.email] and "Welcome to your circle" in m.subject for m in mail.outbox
    )


def test_an_outside_mentor_accepts_the_invitation_and_sets_a_time_zone(
    page, live_server, login, mentee, program, axe
):
    login(mentee)
    page.goto(f"{live_server.url}/me/board/outside-mentor/")
    page.get_by_label("Their given name").fill("Ada")
    page.get_by_label("Their family name").fill("Far")
    page.get_by_label("Their email address").fill("ada@far.example")
    page.get_by_label("What they help you with").select_option(label="Research")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("heading", name="Outside mentors you invited")).to_be_visible()
    expect(page.get_by_text("Ada Far — Research")).to_be_visible()
    axe(page, context="on the board with a pending invitation")
    assert not Relationship.objects.exists()
    (email,) = [m for m in mail.outbox if m.to == ["ada@far.example"]]
    assert "Maya Mentee invites you to mentor them" in email.subject

    page.context.clear_cookies()
    ada = FacultyProfile.objects.get(user__email="ada@far.example")
    token = invitation_token(Invitation.objects.get(person=ada))
    page.goto(f"{live_server.url}/invitations/{token}/")
    expect(page.get_by_text("invites you to mentor them, for research")).to_be_visible()
    zone = page.get_by_label("Your time zone")
    expect(zone).to_have_value("America/Toronto")  # the browser's own zone, as a suggestion
    axe(page, context="on the outside mentor's welcome page")
    zone.fill("Europe/Lisbon")
    page.get_by_label("Choose a password").fill("a-long-new-password")
    page.get_by_label("Type it again").fill("a-long-new-password")
    page.get_by_role("button", name="Set password and continue").click()
    expect(
        page.get_by_role("heading", name="Maya Mentee invites you to mentor them")
    ).to_be_visible()
    page.get_by_role("button", name="Accept and start a pilot").click()
    expect(page.get_by_text("You are now mentoring Maya Mentee")).to_be_visible()
    ada.refresh_from_db()
    assert ada.time_zone == "Europe/Lisbon"
    relationship = Relationship.objects.get()
    assert relationship.source == "outside"
    assert ada.mentor_requests_received.get().status == RequestStatus.ACCEPTED
