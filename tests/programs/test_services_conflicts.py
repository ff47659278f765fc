"""Directory changes that put a current mentor in authority over their mentee are emailed to the
program's directors through the send ledger — from the directory pages, a roster import or a
single sign-on — once per conflict, and not at all once it no longer stands."""

from __future__ import annotations

import pytest
from django.core import mail

from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification
from programs.services.directory import division_save, supervisor_set
from tests.factories import DivisionFactory
from tests.relationship_fixtures import make_relationship

pytestmark = pytest.mark.django_db


def conflict_emails():
    return [m for m in mail.outbox if "of their mentee" in m.subject]


def test_a_new_supervisor_who_mentors_the_mentee_is_emailed_to_the_directors(
    program, mentee, mentor, director, admin, django_capture_on_commit_callbacks
):
    make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_set(profile=mentee.profile, supervisor=mentor.profile, by=admin)
    [email] = conflict_emails()
    assert email.to == [director.email]
    assert email.subject.endswith("Robert Mentor is now the supervisor of their mentee Maya Mentee")
    assert f"/programs/{program.pk}/members/#conflicts-h" in email.body
    # Saving the same again tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        supervisor_set(profile=mentee.profile, supervisor=None, by=admin)
        supervisor_set(profile=mentee.profile, supervisor=mentor.profile, by=admin)
    assert len(conflict_emails()) == 1


def test_a_mentor_appointed_division_chief_is_emailed(
    program, mentee, mentor, director, admin, django_capture_on_commit_callbacks
):
    make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    division = DivisionFactory()
    mentee.profile.division, mentee.profile.department = division, division.department
    mentee.profile.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        division_save(
            department=division.department,
            name=division.name,
            chief=mentor.profile,
            by=admin,
            division=division,
        )
    [email] = conflict_emails()
    assert "division chief" in email.subject


def test_a_conflict_gone_before_sending_is_not_sent(
    program, mentee, mentor, director, admin, django_capture_on_commit_callbacks
):
    make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    mail.outbox.clear()
    supervisor_set(profile=mentee.profile, supervisor=mentor.profile, by=admin)  # queued only
    supervisor_set(profile=mentee.profile, supervisor=None, by=admin)
    n = Notification.objects.get(kind=Kind.REPORTING_CONFLICT)
    from mentorship.notifications.services import notification_deliver

    notification_deliver(notification_id=n.pk)
    assert conflict_emails() == []
