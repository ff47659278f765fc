"""New people are not stranded (issue 14): faculty in no program see their institution's
programs, ask to join one, and a director approves or declines; both sides are told."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification
from mentorship.notifications.services import notification_deliver
from programs.models import Institution, JoinRequest, JoinRequestStatus, Membership, Role
from programs.services.joining import join_request_create, join_request_decide
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def deliver(kind: str) -> list[str]:
    return [
        notification_deliver(notification_id=n.pk) for n in Notification.objects.filter(kind=kind)
    ]


def ask(program, user, message=""):
    return join_request_create(program=program, person=user.profile, message=message, by=user)


def test_asking_twice_keeps_one_pending_request_and_one_email_per_director(
    program, director, outsider
):
    first = ask(program, outsider, "I would like a mentor for my research career.")
    again = ask(program, outsider, "Did you get this?")
    assert first.pk == again.pk
    assert JoinRequest.objects.count() == 1
    assert list(Notification.objects.values_list("kind", "recipient")) == [
        (Kind.JOIN_REQUEST, director.pk)
    ]
    assert deliver(Kind.JOIN_REQUEST) == ["sent"]
    [message] = mail.outbox
    assert message.subject == "[Mentorship] Oskar Outsider asks to join Program A"
    assert "Oskar Outsider" in message.body
    assert "I would like a mentor for my research career." in message.body
    assert "/members/#join-requests-h" in message.body


def test_members_and_other_institutions_cannot_ask(program, mentee, outsider):
    with pytest.raises(ValidationError, match="already take part"):
        ask(program, mentee)
    elsewhere = ProgramFactory(
        name="Elsewhere", institution=Institution.objects.create(name="Other U", short_name="O")
    )
    with pytest.raises(ValidationError, match="not open"):
        ask(elsewhere, outsider)
    program.is_active = False
    program.save()
    with pytest.raises(ValidationError, match="not open"):
        ask(program, outsider)


def test_nobody_asks_on_someone_elses_behalf(program, outsider, mentor):
    with pytest.raises(ValidationError, match="for themselves"):
        join_request_create(program=program, person=outsider.profile, by=mentor)


def test_approving_adds_the_person_with_the_chosen_role_and_tells_them_once(
    program, director, outsider
):
    request = ask(program, outsider)
    join_request_decide(join_request=request, approve=True, role=Role.BOTH, by=director)
    join_request_decide(join_request=request, approve=True, role=Role.BOTH, by=director)  # again
    assert Membership.objects.get(program=program, person=outsider.profile).role == Role.BOTH
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (JoinRequestStatus.APPROVED, director)
    # Told by the answer, not also by a "you were added" email.
    assert not Notification.objects.filter(kind=Kind.PROGRAM_ADDED).exists()
    assert deliver(Kind.JOIN_ANSWER) == ["sent"]
    [message] = mail.outbox
    assert message.to == [outsider.email]
    assert message.subject == "[Mentorship] Welcome to Program A"
    assert "was approved: you take part as mentee and mentor." in message.body


def test_declining_tells_them_kindly_and_points_to_the_self_evaluation(program, director, outsider):
    request = ask(program, outsider)
    join_request_decide(join_request=request, approve=False, by=director)
    assert not Membership.objects.filter(person=outsider.profile).exists()
    with pytest.raises(ValidationError, match="already declined"):
        join_request_decide(join_request=request, approve=True, by=director)
    assert deliver(Kind.JOIN_ANSWER) == ["sent"]
    [message] = mail.outbox
    assert "was not accepted this time" in message.body
    assert "/me/self-evaluation/" in message.body
    # They may ask again later: a new request, not the declined one.
    assert ask(program, outsider).pk != request.pk


def test_only_the_programs_directors_answer(program, other_director, mentor, outsider):
    request = ask(program, outsider)
    for user in (other_director, mentor):
        with pytest.raises(ValidationError, match="Only the program's directors"):
            join_request_decide(join_request=request, approve=True, by=user)


def test_an_answered_request_no_longer_emails_the_other_directors(program, director, outsider):
    from tests.factories import MembershipFactory, person

    second = person(given_name="Dora", family_name="Deputy")
    MembershipFactory(program=program, person=second, role=Role.DIRECTOR)
    request = ask(program, outsider)
    join_request_decide(join_request=request, approve=True, by=director)
    assert sorted(deliver(Kind.JOIN_REQUEST)) == ["skipped: no longer relevant"] * 2


# --- Pages ------------------------------------------------------------------------------------


def test_home_shows_the_institutions_programs_and_the_self_evaluation_to_newcomers(
    program, other_program, client_for, outsider, mentee
):
    page = client_for(outsider).get(reverse("home")).content.decode()
    assert "Welcome, Oskar" in page
    assert "Programs at Northbridge University School of Medicine" in page
    assert reverse("programs:join", args=[program.pk]) in page
    assert reverse("programs:join", args=[other_program.pk]) in page
    assert "Start your self-evaluation" in page
    assert "you need no program to start it" in page
    # People already in a program see their programs instead.
    member_page = client_for(mentee).get(reverse("home")).content.decode()
    assert "Programs at" not in member_page


def test_home_query_count_does_not_grow_with_programs(client_for, outsider, program):
    client = client_for(outsider)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("home"))
    for n in range(5):
        ProgramFactory(name=f"Extra {n}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("home")).content.decode()
    assert "Extra 4" in page
    assert len(many) == len(one)


def test_asking_from_the_join_page_and_answering_from_the_members_page(
    program, director, outsider, client_for
):
    url = reverse("programs:join", args=[program.pk])
    client = client_for(outsider)
    bad = client.post(url, {"message": "Hello <script>x</script>"})
    assert bad.status_code == 200
    assert "Hello &lt;script&gt;" in bad.content.decode()  # kept, escaped, with an error
    assert not JoinRequest.objects.exists()
    response = client.post(url, {"message": "Hoping to be mentored."})
    assert response.status_code == 302
    assert "Request sent" in client.get(reverse("home")).content.decode()
    assert "You asked to join on" in client.get(url).content.decode()

    members = client_for(director).get(reverse("programs:members", args=[program.pk]))
    html = members.content.decode()
    assert "Asking to join" in html
    assert "Hoping to be mentored." in html
    request = JoinRequest.objects.get()
    answer = reverse("programs:join_answer", args=[program.pk, request.pk])
    response = client_for(director).post(answer, {"decision": "approve", "role": "mentor"})
    assert response.status_code == 302
    assert Membership.objects.get(person=outsider.profile).role == Role.MENTOR
    # Now a member, the join page is gone for them.
    assert client.get(url).status_code == 404


def test_the_join_pages_refuse_those_they_are_not_for(
    program, mentee, outsider, client_for, other_director
):
    assert client_for(mentee).get(reverse("programs:join", args=[program.pk])).status_code == 404
    request = ask(program, outsider)
    answer = reverse("programs:join_answer", args=[program.pk, request.pk])
    assert client_for(mentee).post(answer, {"decision": "approve"}).status_code == 403
    assert client_for(other_director).post(answer, {"decision": "approve"}).status_code == 404
    assert client_for(outsider).post(answer, {"decision": "approve"}).status_code == 404
    request.refresh_from_db()
    assert request.status == JoinRequestStatus.PENDING


def test_admins_are_not_offered_joining_on_home_but_may_still_ask(client_for, admin, program):
    html = client_for(admin).get(reverse("home")).content.decode()
    assert "Programs at" not in html
    assert reverse("programs:join", args=[program.pk]) not in html
    assert client_for(admin).get(reverse("programs:join", args=[program.pk])).status_code == 200
