"""Circles (facilitated and peer groups) of a program: its participants see them and ask to join
one; the circle's facilitator or a director approves — the person joins through
`relationship_create` and the pairing gate — or declines; both sides are emailed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matching.models import ConflictOfInterest
from programs.models import (
    JoinRequest,
    JoinRequestStatus,
    MemberSide,
    MentoringModel,
    RelationshipKind,
    RelationshipMember,
)
from programs.services.joining import (
    circle_join_request_create,
    circle_join_request_decide,
    join_request_create,
)
from tests.relationship_fixtures import make_relationship, program_mentee

pytestmark = pytest.mark.django_db


@pytest.fixture
def circle(group, program):
    """The cast's mentor facilitates a circle of three in a program with facilitated groups."""
    program.allowed_models = [MentoringModel.PEER, MentoringModel.FACILITATED_GROUP]
    program.save(update_fields=["allowed_models"])
    return group


def _ask(mentee, circle, message="I would like to work on promotion with you all."):
    return circle_join_request_create(
        circle=circle, person=mentee.profile, message=message, by=mentee
    )


# --- services ------------------------------------------------------------------------------------


def test_asking_emails_the_facilitator_and_the_directors(
    mentee, mentor, director, circle, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = _ask(mentee, circle)
    assert request.circle == circle
    told = sorted(m.to[0] for m in mail.outbox)
    assert told == sorted([mentor.email, director.email])
    assert all("asks to join your circle" in m.subject for m in mail.outbox)
    assert all("promotion with you all" in m.body for m in mail.outbox)


def test_asking_twice_returns_the_waiting_request(mentee, circle):
    assert _ask(mentee, circle) == _ask(mentee, circle)
    assert JoinRequest.objects.count() == 1


def test_a_circle_request_is_not_a_request_to_join_the_program(mentee, circle):
    _ask(mentee, circle)
    with pytest.raises(ValidationError, match="already take part"):
        join_request_create(program=circle.program, person=mentee.profile, by=mentee)


@pytest.mark.parametrize("decider", ["mentor", "director"])
def test_the_facilitator_or_a_director_approves_and_the_person_joins(
    decider, cast, mentee, circle, django_capture_on_commit_callbacks
):
    request = _ask(mentee, circle)
    with django_capture_on_commit_callbacks(execute=True):
        circle_join_request_decide(join_request=request, approve=True, by=cast[decider])
    joined = RelationshipMember.objects.get(relationship=circle, person=mentee.profile)
    assert joined.side == MemberSide.MENTEE
    (told,) = [m for m in mail.outbox if m.to == [mentee.email]]
    assert "Welcome to your circle" in told.subject


def test_declining_tells_the_person(mentee, mentor, circle, django_capture_on_commit_callbacks):
    request = _ask(mentee, circle)
    with django_capture_on_commit_callbacks(execute=True):
        circle_join_request_decide(join_request=request, approve=False, by=mentor)
    assert not RelationshipMember.objects.filter(person=mentee.profile).exists()
    request.refresh_from_db()
    assert request.status == JoinRequestStatus.DECLINED
    (told,) = [m for m in mail.outbox if m.to == [mentee.email]]
    assert "was not accepted" in told.body


def test_a_member_of_the_circle_who_does_not_facilitate_cannot_answer(mentee, circle):
    request = _ask(mentee, circle)
    member = circle.members.filter(side=MemberSide.MENTEE).first().person.user
    with pytest.raises(ValidationError, match="facilitator"):
        circle_join_request_decide(join_request=request, approve=True, by=member)


def test_the_gate_refuses_a_join_and_tells_the_facilitator_only_that(mentee, mentor, circle):
    request = _ask(mentee, circle)
    ConflictOfInterest.objects.create(person=mentee.profile, other=mentor.profile)
    with pytest.raises(ValidationError) as refused:
        circle_join_request_decide(join_request=request, approve=True, by=mentor)
    assert "directors can explain" in str(refused.value)
    assert not RelationshipMember.objects.filter(person=mentee.profile).exists()


def test_a_full_circle_takes_no_one_else(mentee, program, circle):
    for i in range(2):
        extra = program_mentee(program, f"extra{i}@northbridge.test")
        circle_join_request_decide(
            join_request=_ask(extra, circle), approve=True, by=circle_facilitator(circle)
        )
    with pytest.raises(ValidationError, match="full"):
        _ask(mentee, circle)


def circle_facilitator(circle):
    return circle.members.get(side=MemberSide.FACILITATOR).person.user


def test_only_participants_of_the_program_ask(mentor, other_program, circle):
    with pytest.raises(ValidationError, match="Only participants"):
        circle_join_request_create(circle=circle, person=mentor.profile, by=mentor)


# --- pages ---------------------------------------------------------------------------------------


def test_a_participant_sees_the_circles_and_only_their_own_members(
    mentee, program, circle, client_for
):
    other = make_relationship(
        program=program,
        kind=RelationshipKind.PEER_GROUP,
        mentees=[mentee]
        + [
            program_mentee(
                program, f"pg{i}@northbridge.test", given_name="Pia", family_name=f"Group{i}"
            )
            for i in range(2)
        ],
    )
    html = client_for(mentee).get(reverse("matching:peers", args=[program.pk])).content.decode()
    assert "Your circle" in html
    assert "Pia Group0" in html  # a member of their own circle
    card = html.split(f'id="circle-{circle.pk}"')[1].split("</article>")[0]
    stranger = circle.members.filter(side=MemberSide.MENTEE).first().person
    assert stranger.display_name not in card  # members of other circles are not named
    assert "3 of 5" in card
    assert "Robert Mentor" in card  # the other circle's facilitator
    assert reverse("circle_join", args=[circle.pk]) in html
    assert reverse("relationship_detail", args=[other.pk]) in html


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
def test_only_participants_open_the_ask_to_join_page(who, status, cast, circle, client_for):
    assert client_for(cast[who]).get(reverse("circle_join", args=[circle.pk])).status_code == status


def test_asking_from_the_page(mentee, circle, client_for):
    response = client_for(mentee).post(
        reverse("circle_join", args=[circle.pk]), {"message": "Count me in."}
    )
    assert response["Location"] == reverse("matching:peers", args=[circle.program_id])
    assert JoinRequest.objects.get(circle=circle).message == "Count me in."
    again = client_for(mentee).get(reverse("circle_join", args=[circle.pk])).content.decode()
    assert "You asked to join on" in again


def test_markup_in_the_note_is_refused_and_kept(mentee, circle, client_for):
    response = client_for(mentee).post(
        reverse("circle_join", args=[circle.pk]), {"message": "<script>x</script>"}
    )
    assert response.status_code == 400
    assert not JoinRequest.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mentor", 200),
        ("director", 200),
        ("admin", 200),
        ("mentee", 404),
        ("outsider", 404),
        ("other_director", 404),
    ],
)
def test_who_opens_the_requests_to_join(who, status, cast, circle, client_for):
    url = reverse("circle_join_requests", args=[circle.pk])
    assert client_for(cast[who]).get(url).status_code == status


def test_a_circle_member_who_does_not_facilitate_gets_403(circle, client_for):
    member = circle.members.filter(side=MemberSide.MENTEE).first().person.user
    url = reverse("circle_join_requests", args=[circle.pk])
    assert client_for(member).get(url).status_code == 403


def test_the_facilitator_approves_from_the_page(mentee, mentor, circle, client_for):
    request = _ask(mentee, circle)
    client = client_for(mentor)
    detail = client.get(reverse("relationship_detail", args=[circle.pk])).content.decode()
    assert "1 request to join this circle waits for your answer" in detail
    page = client.get(reverse("circle_join_requests", args=[circle.pk])).content.decode()
    assert "Maya Mentee" in page
    response = client.post(
        reverse("circle_request_answer", args=[circle.pk, request.pk]), {"decision": "approve"}
    )
    assert response["Location"] == reverse("circle_join_requests", args=[circle.pk])
    assert RelationshipMember.objects.filter(relationship=circle, person=mentee.profile).exists()


def test_answering_a_request_of_another_circle_is_a_404(
    mentee, mentor, program, circle, client_for
):
    other = make_relationship(
        program=program,
        kind=RelationshipKind.PEER_GROUP,
        mentees=[program_mentee(program, f"o{i}@northbridge.test") for i in range(3)],
    )
    request = _ask(mentee, other)
    url = reverse("circle_request_answer", args=[circle.pk, request.pk])
    assert client_for(mentor).post(url, {"decision": "approve"}).status_code == 404


def test_the_requests_page_reads_a_fixed_number_of_queries(mentor, program, circle, client_for):
    client = client_for(mentor)
    url = reverse("circle_join_requests", args=[circle.pk])
    _ask(program_mentee(program, "a0@northbridge.test"), circle)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(1, 30):
        _ask(program_mentee(program, f"a{i}@northbridge.test"), circle)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_member_list_lists_requests_to_join_a_circle(director, program, circle, client_for):
    """Beside the requests to join the program, in a fixed number of queries."""
    client = client_for(director)
    url = reverse("programs:members", args=[program.pk])
    assert "Asking to join a circle" not in client.get(url).content.decode()
    _ask(program_mentee(program, "c0@northbridge.test"), circle)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert "Asking to join a circle" in page
    assert reverse("circle_join_requests", args=[circle.pk]) in page
    for i in range(1, 12):
        _ask(program_mentee(program, f"c{i}@northbridge.test"), circle)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
