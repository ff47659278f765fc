"""People are told (issue 14): added to a program, appointed director, a pilot extended, an
invitation about to expire — each through the send ledger, once, with preferences applied."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from mentorship.notifications.kinds import Delivery, Kind
from mentorship.notifications.models import Notification, Status
from mentorship.notifications.services import notification_deliver, preference_set
from mentorship.notifications.tasks import sweep_pending
from programs.models import Role
from programs.services.invitations import faculty_invite, invitation_resend
from programs.services.programs import director_appoint, membership_add, membership_update
from programs.services.relationships import relationship_extend_pilot
from programs.services.reminders import due_work_sweep
from tests.factories import person
from tests.relationship_fixtures import make_relationship

pytestmark = pytest.mark.django_db


def deliver_all(kind: str) -> list[str]:
    return [
        notification_deliver(notification_id=n.pk) for n in Notification.objects.filter(kind=kind)
    ]


def test_someone_added_to_a_program_reads_a_clear_welcome(
    program, director, django_capture_on_commit_callbacks
):
    newcomer = person("nadia@northbridge.test", given_name="Nadia", family_name="Newcomer")
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(program=program, person=newcomer, role=Role.MENTEE, by=director)
    [message] = mail.outbox
    assert message.to == ["nadia@northbridge.test"]
    assert message.subject == "[Mentorship] You were added to Program A"
    assert message.body.startswith(
        "Hello Nadia,\n\nYou have been added to Program A as mentee. "
        "The program is run by Helen Director.\n"
    )
    assert "Start your self-evaluation: http" in message.body
    assert "/me/self-evaluation/" in message.body
    assert "Open the program: http" in message.body
    assert "reflections stay private unless you choose to share them" in message.body
    assert "Stop these emails: http" in message.body
    html = message.alternatives[0][0]
    assert "<strong>Program A</strong> as mentee" in html
    assert "{{" not in message.body + html
    assert "{%" not in message.body + html


def test_a_role_change_or_a_repeat_add_sends_nothing_more(program, director):
    newcomer = person(given_name="Nadia")
    membership_add(program=program, person=newcomer, role=Role.MENTEE, by=director)
    membership_add(program=program, person=newcomer, role=Role.MENTEE, by=director)
    membership_add(program=program, person=newcomer, role=Role.BOTH, by=director)
    assert Notification.objects.filter(kind=Kind.PROGRAM_ADDED).count() == 1


def test_adding_yourself_tells_nobody(program, director):
    membership_add(program=program, person=director.profile, role=Role.DIRECTOR, by=director)
    assert not Notification.objects.exists()


def test_an_appointed_director_is_told_and_not_also_welcomed_as_member(program, director, admin):
    newcomer = person(given_name="Dina", family_name="Deputy")
    director_appoint(program=program, person=newcomer, by=admin)
    [n] = Notification.objects.all()
    assert n.kind == Kind.DIRECTOR_APPOINTED
    assert deliver_all(Kind.DIRECTOR_APPOINTED) == ["sent"]
    [message] = mail.outbox
    assert message.subject == "[Mentorship] You are now a director of Program A"
    assert "alongside Helen Director" in message.body
    assert "/dashboard/" in message.body
    assert "/members/" in message.body


def test_promoting_a_member_to_director_tells_them(program, director, mentor, admin):
    membership = mentor.profile.memberships.get()
    membership_update(
        membership=membership,
        role=Role.DIRECTOR,
        cohort=None,
        mentor_capacity=2,
        status=membership.status,
        by=admin,
    )
    assert list(Notification.objects.values_list("kind", "recipient")) == [
        (Kind.DIRECTOR_APPOINTED, mentor.pk)
    ]


def test_an_invited_person_gets_the_invitation_not_a_welcome(program, director):
    result = faculty_invite(
        email="ivy@northbridge.test",
        given_name="Ivy",
        program=program,
        role=Role.MENTEE,
        by=director,
    )
    assert result.created
    assert deliver_all(Kind.PROGRAM_ADDED) == ["skipped: no longer relevant"]


def test_a_switched_off_welcome_is_not_sent(program, director):
    newcomer = person(given_name="Nadia")
    preference_set(user=newcomer.user, kind=Kind.PROGRAM_ADDED, delivery=Delivery.OFF)
    membership_add(program=program, person=newcomer, role=Role.MENTOR, by=director)
    assert deliver_all(Kind.PROGRAM_ADDED) == ["skipped: switched off"]
    assert not mail.outbox


def test_a_removed_member_is_not_welcomed_later(program, director):
    from programs.services.programs import membership_remove

    newcomer = person(given_name="Nadia")
    membership = membership_add(program=program, person=newcomer, role=Role.MENTOR, by=director)
    membership_remove(membership=membership, by=director)
    assert deliver_all(Kind.PROGRAM_ADDED) == ["skipped: no longer relevant"]


# --- Pilot extended -----------------------------------------------------------------------------


def test_extending_a_pilot_tells_the_pair_the_new_date(
    program, mentee, mentor, director, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 3, 2, 15, tzinfo=UTC), tick=False):
        relationship = make_relationship(
            program=program, mentees=[mentee], mentors=[mentor], by=director
        )
        with django_capture_on_commit_callbacks(execute=True):
            relationship_extend_pilot(
                relationship=relationship, until=date(2026, 7, 1), by=director
            )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mentee.email, mentor.email])
    to_maya = next(m for m in mail.outbox if m.to == [mentee.email])
    assert to_maya.subject == "[Mentorship] " + (
        "Your pilot period with Robert Mentor now ends on Wednesday 1 July 2026 (Program A)"
    )
    assert "more time: its pilot period now ends on Wednesday 1 July 2026." in to_maya.body
    assert "confirm that you would like to continue" in to_maya.body


def test_a_second_extension_drops_the_first_unsent_notice(program, mentee, mentor, director):
    with time_machine.travel(datetime(2026, 3, 2, 15, tzinfo=UTC), tick=False):
        relationship = make_relationship(
            program=program, mentees=[mentee], mentors=[mentor], by=director
        )
        relationship_extend_pilot(relationship=relationship, until=date(2026, 7, 1), by=director)
        relationship_extend_pilot(relationship=relationship, until=date(2026, 8, 1), by=director)
        outcomes = sorted(deliver_all(Kind.PILOT_EXTENDED))
    assert outcomes == [
        "sent",
        "sent",
        "skipped: no longer relevant",
        "skipped: no longer relevant",
    ]
    assert all("1 August 2026" in m.subject for m in mail.outbox)


# --- Invitation about to expire -----------------------------------------------------------------

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def invitation(program, director, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = faculty_invite(
            email="ivy@northbridge.test",
            given_name="Ivy",
            family_name="Invited",
            program=program,
            role=Role.MENTEE,
            by=director,
        )
    mail.outbox.clear()
    result.invitation.refresh_from_db()
    assert result.invitation.sent_at is not None
    return result.invitation


def sweep(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        due_work_sweep()
        sweep_pending()


def test_an_unaccepted_invitation_is_reminded_once_three_days_before_it_expires(
    invitation, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    expires = invitation.expires_at
    sweep(expires - timedelta(days=5))
    assert not Notification.objects.filter(kind=Kind.INVITATION_EXPIRING).exists()
    sweep(expires - timedelta(days=2, hours=12))
    sweep(expires - timedelta(days=2))
    sweep(expires - timedelta(days=1))
    rows = Notification.objects.filter(kind=Kind.INVITATION_EXPIRING)
    assert [(r.recipient.email, r.status) for r in rows] == [("ivy@northbridge.test", Status.SENT)]
    [message] = mail.outbox
    assert message.to == ["ivy@northbridge.test"]
    assert message.subject.startswith("[Mentorship] Your invitation to Program A expires on ")
    assert "Helen Director invited you to the mentorship program Program A" in message.body
    assert "Accept the invitation: http" in message.body
    assert "/invitations/" in message.body


def test_an_accepted_invitation_is_not_reminded(invitation, director):
    from programs.services.invitations import invitation_accept

    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        invitation_accept(invitation=invitation, password="a long passphrase 2026")
    sweep(invitation.expires_at - timedelta(days=1))
    assert not Notification.objects.filter(kind=Kind.INVITATION_EXPIRING).exists()


def test_a_resent_invitation_is_reminded_again_before_its_new_date(
    invitation, director, django_capture_on_commit_callbacks
):
    sweep(invitation.expires_at - timedelta(days=1))
    assert Notification.objects.filter(kind=Kind.INVITATION_EXPIRING).count() == 1
    with (
        time_machine.travel(invitation.expires_at - timedelta(hours=12), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invitation_resend(invitation=invitation, by=director)
    invitation.refresh_from_db()
    sweep(invitation.expires_at - timedelta(days=1))
    assert Notification.objects.filter(kind=Kind.INVITATION_EXPIRING).count() == 2
