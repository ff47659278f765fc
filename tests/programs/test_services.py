"""Services for people, programs and invitations: the rules a user would notice."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification
from programs.models import AuditEvent, Invitation, Membership, Role
from programs.services.invitations import (
    InvitationError,
    faculty_invite,
    invitation_accept,
    invitation_from_token,
    invitation_resend,
    invitation_revoke,
    invitation_token,
)
from programs.services.people import (
    profile_update,
    reporting_chain,
    topics_get_or_create,
    topics_parse,
)
from programs.services.programs import (
    cohort_create,
    director_appoint,
    membership_add,
    membership_remove,
    membership_update,
    program_create,
)
from tests.factories import InstitutionFactory, person

pytestmark = pytest.mark.django_db


# --- people -----------------------------------------------------------------------------------


def test_topics_are_split_and_deduplicated_ignoring_case():
    assert topics_parse("Health equity, health  EQUITY; grant writing\n\n") == [
        "Health equity",
        "grant writing",
    ]


def test_topics_are_shared_between_people():
    first = topics_get_or_create(["Heart failure"])
    second = topics_get_or_create(["heart failure"])
    assert first[0].pk == second[0].pk


def test_reporting_chain_walks_up_to_the_top():
    head = person()
    chief = person(reports_to=head)
    faculty = person(reports_to=chief)
    assert reporting_chain(faculty) == [chief.pk, head.pk]


def test_a_reporting_line_cycle_is_refused_with_names():
    head = person(given_name="Hana", family_name="Head")
    chief = person(reports_to=head, given_name="Chris", family_name="Chief")
    with pytest.raises(ValidationError) as caught:
        profile_update(profile=head, data={"reports_to": chief}, by=head.user)
    assert "Chris Chief already reports" in str(caught.value)


def test_reporting_to_oneself_is_refused():
    me = person()
    with pytest.raises(ValidationError, match="cannot report to themselves"):
        profile_update(profile=me, data={"reports_to": me}, by=me.user)


def test_profile_update_sets_topics_and_audits():
    me = person()
    profile_update(
        profile=me,
        data={"location": "Toronto"},
        expertise=["Qualitative methods"],
        interests=["Cycling"],
        by=me.user,
    )
    me.refresh_from_db()
    assert me.location == "Toronto"
    assert [t.name for t in me.expertise.all()] == ["Qualitative methods"]
    assert AuditEvent.objects.filter(verb="profile.update", object_id=str(me.pk)).exists()


# --- programs and memberships -----------------------------------------------------------------


def test_program_names_are_unique_per_institution(admin):
    institution = InstitutionFactory()
    program_create(institution=institution, name="Junior Faculty", by=admin)
    with pytest.raises(ValidationError, match="already has a program"):
        program_create(institution=institution, name="junior faculty", by=admin)


def test_a_cohort_must_end_after_it_starts(program, admin):
    with pytest.raises(ValidationError, match="end after it starts"):
        cohort_create(
            program=program,
            name="2026",
            starts_on=date(2026, 7, 1),
            ends_on=date(2026, 6, 1),
            by=admin,
        )


def test_adding_someone_twice_changes_their_role_instead_of_duplicating(program, admin):
    someone = person()
    membership_add(program=program, person=someone, role=Role.MENTEE, by=admin)
    membership_add(program=program, person=someone, role=Role.BOTH, by=admin)
    assert Membership.objects.get(program=program, person=someone).role == Role.BOTH


def test_the_last_director_cannot_be_removed(program, director, admin):
    membership = Membership.objects.get(program=program, person=director.profile)
    with pytest.raises(ValidationError, match="at least one director"):
        membership_remove(membership=membership, by=admin)
    with pytest.raises(ValidationError, match="at least one director"):
        membership_update(
            membership=membership,
            role=Role.MENTOR,
            cohort=None,
            mentor_capacity=2,
            status="active",
            by=admin,
        )


def test_a_mentee_cannot_be_appointed_director_of_their_own_program(program, mentee, admin):
    with pytest.raises(ValidationError, match="takes part in this program as mentee"):
        director_appoint(program=program, person=mentee.profile, by=admin)


def test_appointing_a_director(program, outsider, admin):
    membership = director_appoint(program=program, person=outsider.profile, by=admin)
    assert membership.role == Role.DIRECTOR


def test_a_cohort_of_another_program_is_refused(program, other_program, admin):
    cohort = cohort_create(
        program=other_program,
        name="B 2026",
        starts_on=date(2026, 7, 1),
        ends_on=date(2027, 6, 30),
        by=admin,
    )
    with pytest.raises(ValidationError, match="belongs to another program"):
        membership_add(program=program, person=person(), role=Role.MENTEE, cohort=cohort, by=admin)


# --- invitations ------------------------------------------------------------------------------


def invite(program, admin, email="new.person@northbridge.test"):
    return faculty_invite(
        email=email,
        given_name="Nia",
        family_name="New",
        program=program,
        role=Role.MENTEE,
        by=admin,
    )


def test_inviting_registers_the_person_and_emails_a_link(
    program, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = invite(program, admin)
    assert result.created
    assert result.membership.role == Role.MENTEE
    assert not result.person.user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@northbridge.test"]
    assert program.name in message.subject
    link = re.search(r"https?://\S+/invitations/(\S+)/", message.body)
    assert invitation_from_token(link.group(1)).pk == result.invitation.pk
    assert "Set your password" in message.alternatives[0][0]


def test_inviting_an_existing_person_adds_them_with_a_welcome_not_an_invitation(
    program, outsider, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = invite(program, admin, email=outsider.email.upper())
    assert not result.created
    assert result.invitation is None
    assert result.membership.person == outsider.profile
    [message] = mail.outbox  # they can sign in already: told they were added, no link to accept
    assert message.subject == "[Mentorship] You were added to Program A"


def test_sending_an_invitation_twice_emails_once(
    program, admin, django_capture_on_commit_callbacks
):
    from mentorship.notifications.services import notification_deliver

    with django_capture_on_commit_callbacks(execute=True):
        result = invite(program, admin)
    row = Notification.objects.get(kind=Kind.INVITATION)
    assert notification_deliver(notification_id=row.pk).startswith("not pending")
    assert len(mail.outbox) == 1
    result.invitation.refresh_from_db()
    assert result.invitation.sent_at is not None
    assert result.invitation.send_count == 1


def test_an_invitation_whose_task_was_lost_is_found_by_the_sweep(program, admin):
    from mentorship.notifications.services import notifications_to_queue

    result = invite(program, admin)  # on_commit callbacks never run: the task was never queued
    row = Notification.objects.get(kind=Kind.INVITATION)
    assert row.subject == f"invitation:{result.invitation.pk}"
    assert row.pk in notifications_to_queue()  # beside the "added to a program" notice


def test_accepting_sets_the_password_and_verifies_the_email(program, admin):
    result = invite(program, admin)
    user = invitation_accept(invitation=result.invitation, password="a-long-new-password")
    assert user.check_password("a-long-new-password")
    assert EmailAddress.objects.get(user=user).verified
    with pytest.raises(InvitationError, match="already been used"):
        invitation_from_token(invitation_token(result.invitation))


def test_resending_invalidates_the_old_link(program, admin):
    result = invite(program, admin)
    old_token = invitation_token(result.invitation)
    invitation_resend(invitation=result.invitation, by=admin)
    with pytest.raises(InvitationError, match="replaced by a newer one"):
        invitation_from_token(old_token)
    assert invitation_from_token(invitation_token(result.invitation)).pk == result.invitation.pk


def test_a_revoked_invitation_cannot_be_used(program, admin):
    result = invite(program, admin)
    token = invitation_token(result.invitation)
    invitation_revoke(invitation=result.invitation, by=admin)
    with pytest.raises(InvitationError, match="withdrawn"):
        invitation_from_token(token)


def test_an_invitation_expires_after_three_weeks(program, admin):
    result = invite(program, admin)
    token = invitation_token(result.invitation)
    later = timezone.now() + timedelta(days=22)
    with time_machine.travel(later), pytest.raises(InvitationError, match="expired"):
        invitation_from_token(token)


def test_a_tampered_link_is_refused():
    with pytest.raises(InvitationError, match="not valid"):
        invitation_from_token("not-a-token")


def test_invitations_are_audited(program, admin):
    invite(program, admin)
    assert AuditEvent.objects.filter(verb="faculty.invite", actor=admin).exists()
    assert Invitation.objects.count() == 1
