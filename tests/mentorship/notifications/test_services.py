"""The send ledger: each notification at most once, preferences, quiet hours, digests, bounces."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, time, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail, signing

from mentorship.notifications.kinds import Delivery, Kind
from mentorship.notifications.models import Bounce, Notification, Status
from mentorship.notifications.services import (
    Planned,
    digests_to_plan,
    notification_deliver,
    notification_plan,
    notifications_plan_many,
    notifications_to_queue,
    preference_set,
    quiet_hours_set,
    quiet_until,
    unsubscribe_from_token,
    unsubscribe_token,
)
from tests.mentorship.notifications.conftest import TEST_KIND

pytestmark = pytest.mark.django_db


def plan(user, cycle="c1", **kwargs):
    return notification_plan(
        recipient=user, kind=TEST_KIND, subject="meeting:1", cycle=cycle, **kwargs
    )


def test_planning_the_same_occurrence_twice_keeps_one_row(mentee):
    assert plan(mentee) is not None
    assert plan(mentee) is None
    notifications_plan_many([Planned(mentee.pk, TEST_KIND, "meeting:1", "c1")] * 3)
    assert Notification.objects.count() == 1


def test_a_new_cycle_is_a_new_notification(mentee):
    plan(mentee, cycle="c1")
    plan(mentee, cycle="c2")
    assert Notification.objects.count() == 2


def test_delivering_twice_sends_once(mentee, test_kind):
    n = plan(mentee, data={"thing": "Tuesday's meeting"})
    assert notification_deliver(notification_id=n.pk) == "sent"
    assert notification_deliver(notification_id=n.pk).startswith("not pending")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Tuesday's meeting" in message.subject
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in message.body
    assert "Stop these emails" in message.alternatives[0][0]


def test_a_notification_that_no_longer_applies_is_skipped(mentee, test_kind):
    test_kind["relevant"] = False
    n = plan(mentee)
    assert notification_deliver(notification_id=n.pk).startswith("skipped")
    assert mail.outbox == []


def test_a_kind_switched_off_is_not_sent(mentee, test_kind):
    preference_set(user=mentee, kind=Kind.MEETING_UPCOMING, delivery=Delivery.OFF)
    n = notification_plan(recipient=mentee, kind=Kind.MEETING_UPCOMING, subject="m:1", cycle="24h")
    assert notification_deliver(notification_id=n.pk) == "skipped: switched off"
    assert mail.outbox == []


def test_concern_alerts_cannot_be_switched_off(director):
    with pytest.raises(ValueError, match="cannot switch off concern alerts"):
        preference_set(user=director, kind=Kind.CONCERN_ALERT, delivery=Delivery.OFF)


def test_not_due_yet_waits(mentee, test_kind):
    n = plan(mentee, due_at=datetime.now(UTC) + timedelta(hours=2))
    assert notification_deliver(notification_id=n.pk) == "not due yet"
    assert notifications_to_queue() == []


def test_the_sweep_requeues_a_lost_task_but_not_a_fresh_one(mentee):
    n = plan(mentee)
    assert notifications_to_queue() == [n.pk]
    assert notifications_to_queue() == []  # queued a moment ago
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
        assert notifications_to_queue() == [n.pk]  # that task was lost: queue again


def test_quiet_hours_hold_an_email_until_they_end(mentee, test_kind):
    mentee.profile.time_zone = "America/Toronto"
    mentee.profile.save()
    quiet_hours_set(user=mentee, starts=time(21, 0), ends=time(7, 0))
    # 23:30 in Toronto on 3 March 2026 (EST, UTC-5) = 04:30 UTC on 4 March
    with time_machine.travel(datetime(2026, 3, 4, 4, 30, tzinfo=UTC), tick=False):
        n = plan(mentee)
        assert notification_deliver(notification_id=n.pk) == "deferred: quiet hours"
    n.refresh_from_db()
    assert n.due_at == datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # 07:00 EST
    with time_machine.travel(datetime(2026, 3, 4, 12, 1, tzinfo=UTC), tick=False):
        assert notification_deliver(notification_id=n.pk) == "sent"


def test_quiet_hours_keep_local_time_across_daylight_saving(mentee):
    mentee.profile.time_zone = "America/Toronto"
    mentee.profile.save()
    quiet_hours_set(user=mentee, starts=time(21, 0), ends=time(7, 0))
    # Clocks go forward at 02:00 on 8 March 2026: 07:00 is now EDT (UTC-4) = 11:00 UTC.
    night = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 00:00 EST
    assert quiet_until(mentee, night) == datetime(2026, 3, 8, 11, 0, tzinfo=UTC)
    assert quiet_until(mentee, datetime(2026, 3, 8, 16, 0, tzinfo=UTC)) is None  # noon


def test_daily_digest_collects_held_notifications(mentee, test_kind, monkeypatch):
    from mentorship.notifications import kinds

    monkeypatch.setitem(kinds.BUILDERS, Kind.MEETING_UPCOMING, kinds.BUILDERS[TEST_KIND])
    preference_set(user=mentee, kind=Kind.MEETING_UPCOMING, delivery=Delivery.DAILY)
    mentee.profile.time_zone = "UTC"
    mentee.profile.save()
    with time_machine.travel(datetime(2026, 5, 5, 6, 0, tzinfo=UTC), tick=False):
        for cycle in ("a", "b"):
            n = notification_plan(
                recipient=mentee, kind=Kind.MEETING_UPCOMING, subject="m:1", cycle=cycle
            )
            assert notification_deliver(notification_id=n.pk) == "held for the digest"
        assert digests_to_plan() == 0  # before 07:00 local
    with time_machine.travel(datetime(2026, 5, 5, 8, 0, tzinfo=UTC), tick=False):
        digests_to_plan()
        digests_to_plan()  # beat firing twice plans one digest
        (digest,) = Notification.objects.filter(kind=Kind.DIGEST)
        assert notification_deliver(notification_id=digest.pk) == "sent"
    assert len(mail.outbox) == 1
    assert "2 items" in mail.outbox[0].subject
    assert set(
        Notification.objects.filter(kind=Kind.MEETING_UPCOMING).values_list("status", flat=True)
    ) == {Status.DIGESTED}


def test_a_permanent_refusal_is_recorded_as_a_bounce_and_not_retried(mentee, director, test_kind):
    n = plan(mentee)
    refused = smtplib.SMTPRecipientsRefused({mentee.email: (550, b"5.1.1 No such user")})
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused):
        assert notification_deliver(notification_id=n.pk) == "bounced"
    n.refresh_from_db()
    assert n.status == Status.BOUNCED
    assert Bounce.objects.get().code == 550
    # The directors of the mentee's program hear about it.
    assert Notification.objects.filter(kind=Kind.BOUNCE_ALERT, recipient=director).exists()
    # And the address is not tried again.
    again = plan(mentee, cycle="c2")
    assert notification_deliver(notification_id=again.pk) == "skipped: address bounced"


def test_unsubscribe_tokens_cannot_be_forged(mentee):
    token = unsubscribe_token(mentee, Kind.MEETING_UPCOMING)
    assert unsubscribe_from_token(token) == (mentee, Kind.MEETING_UPCOMING)
    with pytest.raises(signing.BadSignature):
        unsubscribe_from_token(token[:-2] + "xx")
