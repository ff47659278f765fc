"""Peers are first-class in peer programs: a participant sees peers (similar career stage, shared
need areas), proposes a peer pairing that the other accepts or declines, and the pair is made by
`relationship_create` through the pairing gate, symmetric (both give and receive)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matching.models import ConflictOfInterest, MentorRequest, RequestKind, RequestStatus
from matching.selectors import peer_list_for
from matching.services import request_accept, request_decline, request_send
from programs.models import (
    AcademicRank,
    Membership,
    MemberSide,
    MentoringModel,
    Relationship,
    RelationshipKind,
)
from tests.relationship_fixtures import (
    make_relationship,
    program_mentee,
    program_mentor,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def peer_program(program):
    program.allowed_models = [MentoringModel.PEER, MentoringModel.FACILITATED_GROUP]
    program.save(update_fields=["allowed_models"])
    return program


@pytest.fixture
def peer(peer_program):
    return program_mentee(
        peer_program, "priya@northbridge.test", given_name="Priya", family_name="Peer"
    )


def _ranks(*users, order=2):
    rank = AcademicRank.objects.filter(order=order).first() or AcademicRank.objects.create(
        name="Assistant professor", order=order
    )
    for u in users:
        u.profile.rank = rank
        u.profile.save(update_fields=["rank"])
    return rank


def _propose(a, b, program, **kw):
    return request_send(
        program=program,
        mentee=a.profile,
        mentor=b.profile,
        message="Shall we pair as peers? I can offer feedback on grant drafts.",
        kind=RequestKind.PEER,
        by=a,
        **kw,
    )


def _circle(program, prefix):
    return make_relationship(
        program=program,
        kind=RelationshipKind.FACILITATED_GROUP,
        mentees=[program_mentee(program, f"{prefix}-{i}@northbridge.test") for i in range(3)],
        facilitator=program_mentor(program, f"{prefix}-f@northbridge.test"),
    )


# --- services ------------------------------------------------------------------------------------


def test_a_peer_proposal_accepted_makes_a_symmetric_peer_pair(
    mentee, peer, peer_program, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        proposal = _propose(mentee, peer, peer_program)
    assert proposal.kind == RequestKind.PEER
    assert mail.outbox[-1].to == [peer.email]
    assert "proposes that you pair as peers" in mail.outbox[-1].subject
    with django_capture_on_commit_callbacks(execute=True):
        relationship = request_accept(request=proposal, by=peer)
    assert relationship.kind == RelationshipKind.PEER
    sides = set(relationship.members.values_list("side", flat=True))
    assert sides == {MemberSide.PEER}  # both give and receive
    assert any(
        m.to == [mentee.email] and "accepted your peer proposal" in m.subject for m in mail.outbox
    )


def test_either_peer_may_propose_but_a_waiting_proposal_is_answered_not_mirrored(
    mentee, peer, peer_program
):
    _propose(peer, mentee, peer_program)
    with pytest.raises(ValidationError, match="already proposed pairing with you"):
        _propose(mentee, peer, peer_program)


def test_only_the_peer_who_was_asked_accepts(mentee, peer, peer_program):
    proposal = _propose(mentee, peer, peer_program)
    with pytest.raises(ValidationError, match="Only the person who was asked"):
        request_accept(request=proposal, by=mentee)
    assert not Relationship.objects.exists()


def test_declining_a_proposal_tells_the_proposer_kindly(
    mentee, peer, peer_program, django_capture_on_commit_callbacks
):
    proposal = _propose(mentee, peer, peer_program)
    with django_capture_on_commit_callbacks(execute=True):
        request_decline(request=proposal, by=peer, message="")
    proposal.refresh_from_db()
    assert proposal.status == RequestStatus.DECLINED
    (told,) = [m for m in mail.outbox if m.to == [mentee.email]]
    assert "not able to pair with you" in told.body


def test_a_proposal_the_gate_refuses_says_only_that_it_is_not_possible(mentee, peer, peer_program):
    ConflictOfInterest.objects.create(person=peer.profile, other=mentee.profile)
    with pytest.raises(ValidationError) as refused:
        _propose(mentee, peer, peer_program)
    assert "cannot pair with Priya Peer" in str(refused.value)
    assert "confidential" not in str(refused.value)  # not even that there is a reason


def test_a_mentor_only_member_is_not_a_peer(mentee, mentor, peer_program):
    with pytest.raises(ValidationError, match="does not take part"):
        _propose(mentee, mentor, peer_program)


# --- the peer list ---------------------------------------------------------------------------------


def test_peers_are_ranked_by_career_stage_and_shared_needs(mentee, peer, peer_program):
    far = program_mentee(peer_program, "far@northbridge.test", given_name="Fay", family_name="Far")
    _ranks(mentee, peer)
    submitted_assessment(mentee, needs=("research", "promotion"))
    submitted_assessment(peer, needs=("research",))
    membership = Membership.objects.get(program=peer_program, person=mentee.profile)
    found = peer_list_for(membership=membership)
    assert [e.peer for e in found.entries] == [peer.profile, far.profile]
    first = found.entries[0]
    assert first.shared_needs == ["Research"]
    assert first.stage.startswith("Same career stage")


def test_the_list_leaves_out_refused_pairs_and_current_peers(mentee, peer, peer_program):
    other = program_mentee(peer_program, "oli@northbridge.test")
    ConflictOfInterest.objects.create(person=other.profile, other=mentee.profile)
    make_relationship(program=peer_program, kind=RelationshipKind.PEER, mentees=[mentee, peer])
    membership = Membership.objects.get(program=peer_program, person=mentee.profile)
    found = peer_list_for(membership=membership)
    assert found.entries == []
    assert found.paired_with == [peer.profile]
    assert found.unavailable == 1


# --- pages ---------------------------------------------------------------------------------------


def test_a_participant_sees_peers_not_mentors(mentee, peer, peer_program, client_for):
    response = client_for(mentee).get(reverse("matching:peers", args=[peer_program.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Priya Peer" in html
    assert "Propose a peer pairing" in html
    assert "to mentor you" not in html
    # The mentor shortlist of a peer-only program leads to the peers.
    shortlist = client_for(mentee).get(reverse("matching:shortlist", args=[peer_program.pk]))
    assert shortlist["Location"] == reverse("matching:peers", args=[peer_program.pk])
    detail = client_for(mentee).get(reverse("programs:detail", args=[peer_program.pk]))
    assert "Peers and circles" in detail.content.decode()
    assert "Find a mentor" not in detail.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mentee", 200),
        ("mentor", 404),
        ("director", 404),
        ("admin", 404),
        ("outsider", 404),
        ("other_director", 404),
    ],
)
def test_only_participants_open_the_peers_page(who, status, cast, peer_program, client_for):
    url = reverse("matching:peers", args=[peer_program.pk])
    assert client_for(cast[who]).get(url).status_code == status


def test_a_program_without_peer_mentoring_has_no_peers_page(mentee, program, client_for):
    assert client_for(mentee).get(reverse("matching:peers", args=[program.pk])).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("mentee", 200), ("mentor", 404), ("director", 404), ("admin", 404), ("outsider", 404)],
)
def test_only_participants_propose(who, status, cast, peer, peer_program, client_for):
    url = reverse("matching:peer_propose", args=[peer_program.pk, peer.profile.pk])
    assert client_for(cast[who]).get(url).status_code == status


def test_proposing_to_a_mentor_or_oneself_is_a_404(mentee, mentor, peer_program, client_for):
    client = client_for(mentee)
    for pk in (mentor.profile.pk, mentee.profile.pk):
        url = reverse("matching:peer_propose", args=[peer_program.pk, pk])
        assert client.get(url).status_code == 404


def test_proposing_from_the_page_and_answering_it(mentee, peer, peer_program, client_for):
    url = reverse("matching:peer_propose", args=[peer_program.pk, peer.profile.pk])
    response = client_for(mentee).post(url, {"message": "Let us swap drafts monthly."})
    assert response["Location"] == reverse("matching:peers", args=[peer_program.pk])
    proposal = MentorRequest.objects.get(kind=RequestKind.PEER)
    page = client_for(peer).get(reverse("matching:request_detail", args=[proposal.pk]))
    assert "proposes that you pair as peers" in page.content.decode()
    peers_page = client_for(peer).get(reverse("matching:peers", args=[peer_program.pk]))
    assert "Proposals waiting for your answer" in peers_page.content.decode()
    answered = client_for(peer).post(
        reverse("matching:request_detail", args=[proposal.pk]),
        {"action": "accept", "accept-message": ""},
    )
    relationship = Relationship.objects.get(kind=RelationshipKind.PEER)
    assert answered["Location"] == relationship.get_absolute_url()


def test_a_refused_proposal_keeps_what_was_typed(mentee, peer, peer_program, client_for):
    ConflictOfInterest.objects.create(person=peer.profile, other=mentee.profile)
    url = reverse("matching:peer_propose", args=[peer_program.pk, peer.profile.pk])
    response = client_for(mentee).post(url, {"message": "Let us swap drafts monthly."})
    html = response.content.decode()
    assert "cannot pair with Priya Peer" in html
    assert "Let us swap drafts monthly." in html


def test_the_peers_page_reads_a_fixed_number_of_queries(mentee, peer_program, client_for):
    """One peer or thirty-one: the same queries (the gate's checks are batched)."""
    client = client_for(mentee)
    url = reverse("matching:peers", args=[peer_program.pk])
    submitted_assessment(program_mentee(peer_program, "one@northbridge.test"), needs=("research",))
    _circle(peer_program, "c0")
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(30):
        who = program_mentee(peer_program, f"peer{i}@northbridge.test")
        submitted_assessment(who, needs=("research",))
    for i in range(1, 4):
        _circle(peer_program, f"c{i}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_a_director_sees_and_withdraws_an_outside_invitation_from_the_hub(
    mentee, director, program, client_for
):
    from matching.services import outside_mentor_invite

    request = outside_mentor_invite(
        program=program,
        mentee=mentee.profile,
        email="ada@far.example",
        given_name="Ada",
        family_name="Far",
        by=mentee,
    )
    client = client_for(director)
    hub = client.get(reverse("matching:hub", args=[program.pk])).content.decode()
    assert "Maya Mentee → Ada Far (outside mentor, invited)" in hub
    response = client.post(reverse("matching:request_withdraw", args=[request.pk]))
    assert response["Location"] == reverse("matching:hub", args=[program.pk])
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN


@pytest.mark.parametrize(
    ("who", "status"), [("mentor", 404), ("outsider", 404), ("other_director", 404)]
)
def test_others_cannot_withdraw_an_outside_invitation(
    who, status, cast, mentee, program, client_for
):
    from matching.services import outside_mentor_invite

    request = outside_mentor_invite(
        program=program,
        mentee=mentee.profile,
        email="ada@far.example",
        given_name="Ada",
        family_name="Far",
        by=mentee,
    )
    url = reverse("matching:request_withdraw", args=[request.pk])
    assert client_for(cast[who]).post(url).status_code == status
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
