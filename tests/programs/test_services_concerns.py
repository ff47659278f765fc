"""Confidential concerns: raised by a member, seen and handled by directors only."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification
from mentorship.notifications.services import notification_deliver
from programs.models import AuditEvent, Concern, ConcernStatus, Relationship
from programs.services.concerns import (
    concern_acknowledge,
    concern_note_add,
    concern_raise,
    concern_record_view,
    concern_reopen,
    concern_resolve,
    concern_views,
)
from programs.services.relationships import relationship_end

pytestmark = pytest.mark.django_db

TEXT = "My mentor presented my pilot data as their own at grand rounds."


def test_raising_a_concern_changes_nothing_on_the_relationship(pair, mentee):
    before = Relationship.objects.filter(pk=pair.pk).values().get()
    concern = concern_raise(relationship=pair, category="credit", text=TEXT, by=mentee)
    assert concern.status == ConcernStatus.OPEN
    assert Relationship.objects.filter(pk=pair.pk).values().get() == before


def test_directors_are_alerted_without_the_text(
    pair, mentee, mentor, director, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        concern_raise(relationship=pair, category="credit", text=TEXT, by=mentee)
    assert [m.to for m in mail.outbox] == [[director.email]]
    message = mail.outbox[0]
    for body in (message.subject, message.body, message.alternatives[0][0]):
        assert "grand rounds" not in body
        assert mentee.profile.display_name not in body
        assert mentor.profile.display_name not in body


def _deliver_all() -> None:
    for pk in Notification.objects.values_list("pk", flat=True):
        notification_deliver(notification_id=pk)


def test_the_alert_is_sent_once(pair, mentee, director):
    concern_raise(relationship=pair, category="credit", text=TEXT, by=mentee)
    (n,) = Notification.objects.filter(kind=Kind.CONCERN_ALERT)
    assert (n.recipient, n.subject) == (director, f"concern:{Concern.objects.get().pk}")
    assert notification_deliver(notification_id=n.pk) == "sent"
    assert notification_deliver(notification_id=n.pk).startswith("not pending")
    assert len(mail.outbox) == 1


def test_a_program_without_directors_alerts_the_admins(pair, mentee, director, admin):
    director.profile.memberships.all().delete()
    concern_raise(relationship=pair, category="other", text=TEXT, by=mentee)
    _deliver_all()
    assert [m.to for m in mail.outbox] == [[admin.email]]


def test_a_director_removed_before_sending_is_not_alerted(pair, mentee, director):
    concern_raise(relationship=pair, category="other", text=TEXT, by=mentee)
    director.profile.memberships.all().delete()
    _deliver_all()
    assert mail.outbox == []


def test_the_alert_has_an_unsubscribe_free_footer_and_names_the_program(
    pair, mentee, director, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        concern_raise(relationship=pair, category="credit", text=TEXT, by=mentee)
    message = mail.outbox[0]
    assert "Program A" in message.subject
    assert "Program directors always receive these emails" in message.body
    assert "/me/notifications/" in message.body


def test_a_concern_may_be_raised_after_the_relationship_ended(pair, mentee, mentor):
    relationship_end(relationship=pair, by=mentor)
    assert concern_raise(relationship=pair, category="harassment", text=TEXT, by=mentee)


def test_only_members_raise_concerns(pair, outsider, director):
    for user in (outsider, director):
        with pytest.raises(ValidationError):
            concern_raise(relationship=pair, category="credit", text=TEXT, by=user)


def test_a_concern_needs_a_category_and_words(pair, mentee):
    with pytest.raises(ValidationError):
        concern_raise(relationship=pair, category="gossip", text=TEXT, by=mentee)
    with pytest.raises(ValidationError):
        concern_raise(relationship=pair, category="credit", text="   ", by=mentee)


def test_directors_acknowledge_note_resolve_and_reopen(pair, mentee, director):
    concern = concern_raise(relationship=pair, category="credit", text=TEXT, by=mentee)
    concern = concern_acknowledge(concern=concern, by=director)
    assert concern.status == ConcernStatus.ACKNOWLEDGED
    assert concern.acknowledged_by == director
    concern_note_add(concern=concern, text="Spoke with the mentee.", by=director)
    with pytest.raises(ValidationError):
        concern_resolve(concern=concern, resolution=" ", by=director)
    concern = concern_resolve(concern=concern, resolution="Authorship corrected.", by=director)
    assert concern.status == ConcernStatus.RESOLVED
    concern = concern_reopen(concern=concern, by=director)
    assert concern.status == ConcernStatus.ACKNOWLEDGED


def test_every_visit_is_recorded_in_the_append_only_log(pair, mentee, director):
    concern = concern_raise(relationship=pair, category="credit", text=TEXT, by=mentee)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        concern_record_view(concern=concern, by=director)
        concern_record_view(concern=concern, by=director)  # a reload: the same visit
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        concern_record_view(concern=concern, by=director)
    views = list(concern_views(concern=concern))
    assert [v.actor for v in views] == [director, director]
    assert AuditEvent.objects.filter(verb="concern.raise").get().detail == {}
