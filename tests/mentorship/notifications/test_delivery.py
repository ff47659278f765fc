"""Delivery through the ledger: delayed by anything transient, never dropped; refusals classified
by SMTP stage; a relay breaker shared by all workers; visible failures an admin can retry."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Bounce, Notification, RelayState, Status
from mentorship.notifications.relay import Action, classify
from mentorship.notifications.services import (
    delivery_health,
    notification_deliver,
    notification_plan,
    notifications_expire,
    notifications_reclaim,
    notifications_retry_failed,
    notifications_to_queue,
)
from tests.mentorship.notifications.conftest import TEST_KIND

pytestmark = pytest.mark.django_db

SEND = "django.core.mail.EmailMultiAlternatives.send"


def plan(user, cycle="c1"):
    return notification_plan(recipient=user, kind=TEST_KIND, subject="meeting:1", cycle=cycle)


def refused_recipient(code):
    return smtplib.SMTPRecipientsRefused({"x@y": (code, b"5.1.1 No such user")})


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (refused_recipient(550), Action.BOUNCE),
        (refused_recipient(451), Action.RETRY),
        (smtplib.SMTPSenderRefused(550, b"5.7.1 Sender rejected", "us@x"), Action.PAUSE),
        (smtplib.SMTPSenderRefused(451, b"try later", "us@x"), Action.RETRY),
        (smtplib.SMTPDataError(554, b"5.7.1 Message rejected"), Action.PAUSE),
        (smtplib.SMTPDataError(452, b"Insufficient storage"), Action.RETRY),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), Action.PAUSE),
        (smtplib.SMTPConnectError(421, b"busy"), Action.DOWN),
        (smtplib.SMTPServerDisconnected("gone"), Action.DOWN),
        (ConnectionRefusedError(111, "Connection refused"), Action.DOWN),
        (TimeoutError("timed out"), Action.DOWN),
    ],
)
def test_refusals_are_classified_by_stage_and_code(error, action):
    assert classify(error).action == action


def test_only_a_refusal_of_the_recipient_records_a_bounce(mentee, director, test_kind):
    n = plan(mentee)
    with mock.patch(SEND, side_effect=refused_recipient(550)):
        assert notification_deliver(notification_id=n.pk) == "bounced"
    assert Bounce.objects.get().email == mentee.email
    assert Notification.objects.filter(kind=Kind.BOUNCE_ALERT, recipient=director).exists()


def test_a_refused_sender_pauses_sending_and_alerts_the_admins_without_any_bounce(
    mentee, mentor, director, admin, test_kind
):
    first, second = plan(mentee), plan(mentor)
    refusal = smtplib.SMTPSenderRefused(550, b"5.7.1 Sender not allowed", "us@x")
    with mock.patch(SEND, side_effect=refusal) as send:
        assert notification_deliver(notification_id=first.pk) == "pause: will try again"
        # The breaker is open: the next message waits without an attempt.
        assert notification_deliver(notification_id=second.pk).startswith("held")
    assert send.call_count == 1
    assert not Bounce.objects.exists()
    assert not Notification.objects.filter(kind=Kind.BOUNCE_ALERT).exists()
    assert Notification.objects.filter(kind=Kind.RELAY_ALERT, recipient=admin).exists()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts) == (Status.PENDING, 1)
    assert "sender refused" in first.last_error
    assert (second.status, second.attempts) == (Status.PENDING, 0)
    assert RelayState.objects.get().state == RelayState.State.PAUSED


def test_a_451_leaves_an_attempt_and_its_error_in_the_ledger(mentee, test_kind):
    n = plan(mentee)
    with mock.patch(SEND, side_effect=refused_recipient(451)):
        assert notification_deliver(notification_id=n.pk) == "retry: will try again"
    n.refresh_from_db()
    assert (n.status, n.attempts) == (Status.PENDING, 1)
    assert n.last_error.startswith("451")
    assert n.due_at > timezone.now()  # backed off
    assert RelayState.objects.filter(state=RelayState.State.DOWN).count() == 0


def test_an_email_between_two_attempts_still_counts_as_waiting_since_it_first_failed(
    mentee, test_kind, settings
):
    settings.MENTORSHIP_EMAIL_RETRY_BASE = 600
    first_due = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    with time_machine.travel(first_due, tick=False):
        n = plan(mentee)
        later = plan(mentee, cycle="next week")
    Notification.objects.filter(pk=later.pk).update(due_at=first_due + timedelta(days=7))
    with (
        time_machine.travel(first_due + timedelta(minutes=1), tick=False),
        mock.patch(SEND, side_effect=refused_recipient(451)),
    ):
        notification_deliver(notification_id=n.pk)
    n.refresh_from_db()
    # Just before the next try is due:
    with time_machine.travel(n.due_at - timedelta(minutes=1), tick=False):
        health = delivery_health()
    # The failed email is waiting (and its notice stays up); the one due next week is not.
    assert (health.waiting, health.retrying) == (1, 1)
    assert health.has_problem
    assert health.waiting_since == n.failing_since < n.due_at


def sweep_and_deliver():
    """What beat's sweep and the worker do each minute."""
    notifications_reclaim()
    notifications_expire()
    for pk in notifications_to_queue():
        notification_deliver(notification_id=pk)


def test_a_30_minute_outage_costs_one_probe_per_minute_and_loses_nothing(
    mentee, mentor, director, test_kind, settings
):
    """The relay refuses connections for 30 simulated minutes while 40 emails are due; every
    minute the sweep runs and every queued task is delivered (as the worker would)."""
    settings.MENTORSHIP_EMAIL_PROBE_INTERVAL = 60
    people = [mentee, mentor, director]
    rows = [plan(people[i % 3], cycle=f"c{i}") for i in range(40)]
    start = timezone.now()
    attempts_during_outage = 0
    with time_machine.travel(start, tick=False) as clock:
        for minute in range(45):
            if minute < 30:
                refused = ConnectionRefusedError(111, "Connection refused")
                with mock.patch(SEND, side_effect=refused) as send:
                    sweep_and_deliver()
                attempts_during_outage += send.call_count
            else:
                sweep_and_deliver()
            clock.shift(timedelta(minutes=1))
    assert attempts_during_outage <= 31  # one probe per interval, not one per message
    statuses = set(
        Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", flat=True)
    )
    assert statuses == {Status.SENT}
    assert len(mail.outbox) == 40  # 0 lost, 0 duplicates
    assert RelayState.objects.get().state == RelayState.State.OK


def test_after_the_lifetime_a_message_fails_visibly_and_an_admin_retries_it(
    mentee, admin, director, program, test_kind, settings, client
):
    settings.MENTORSHIP_EMAIL_RETRY_LIFETIME = 3 * 24 * 3600
    n = plan(mentee)
    Notification.objects.filter(pk=n.pk).update(program=program)  # the director's program
    start = timezone.now()
    with mock.patch(SEND, side_effect=smtplib.SMTPDataError(452, b"busy")):
        with time_machine.travel(start, tick=False):
            notification_deliver(notification_id=n.pk)
        with time_machine.travel(start + timedelta(days=3, minutes=1), tick=False):
            n.refresh_from_db()
            assert notification_deliver(notification_id=n.pk).startswith("failed")
    n.refresh_from_db()
    assert n.status == Status.FAILED
    health = delivery_health()
    assert health.failed == 1
    assert health.has_problem
    # Directors of its program see the notice; admins can retry from the delivery page.
    client.force_login(director)
    notice = client.get(reverse("notifications:delivery_notice"))
    assert b"could not be delivered" in notice.content
    assert client.get(reverse("notifications:delivery")).status_code == 403
    client.force_login(admin)
    page = client.get(reverse("notifications:delivery"))
    assert mentee.email in page.content.decode()
    response = client.post(reverse("notifications:delivery"), {"action": "retry"})
    assert response.status_code == 302
    n.refresh_from_db()
    assert (n.status, n.attempts) == (Status.PENDING, 0)
    assert notification_deliver(notification_id=n.pk) == "sent"


def test_only_admins_may_retry_in_bulk(director):
    with pytest.raises(PermissionError):
        notifications_retry_failed(by=director)


def test_a_row_left_sending_by_a_dead_worker_is_sent_again_once(mentee, test_kind, settings):
    n = plan(mentee)
    n.status, n.claimed_at = Status.SENDING, timezone.now()
    n.save()
    # A redelivered task does not send it while the claim is fresh.
    assert notification_deliver(notification_id=n.pk).startswith("not pending")
    assert notifications_reclaim() == 0
    later = timezone.now() + timedelta(seconds=settings.MENTORSHIP_EMAIL_CLAIM_TIMEOUT + 1)
    assert notifications_reclaim(now=later) == 1
    assert notification_deliver(notification_id=n.pk) == "sent"
    assert len(mail.outbox) == 1


def test_a_sweep_does_not_queue_what_another_sweep_just_queued(mentee, test_kind):
    plan(mentee)
    assert len(notifications_to_queue()) == 1
    assert notifications_to_queue() == []


def test_the_notice_is_empty_for_members_and_when_all_is_well(mentee, director, client):
    client.force_login(director)
    assert client.get(reverse("notifications:delivery_notice")).status_code == 204
    RelayState.objects.create(pk=1, state=RelayState.State.DOWN, since=timezone.now())
    assert b"delayed" in client.get(reverse("notifications:delivery_notice")).content
    client.force_login(mentee)
    assert client.get(reverse("notifications:delivery_notice")).status_code == 204


def test_a_director_sees_the_waiting_emails_of_each_program_they_direct(
    mentee, director, other_director, admin, program, other_program, test_kind, client
):
    since = timezone.now() - timedelta(hours=2)
    with time_machine.travel(since, tick=False):
        for cycle in ("a", "b", "c"):
            n = plan(mentee, cycle=cycle)
            Notification.objects.filter(pk=n.pk).update(program=program)
        n = plan(mentee, cycle="other")
        Notification.objects.filter(pk=n.pk).update(program=other_program)
    RelayState.objects.create(
        pk=1, state=RelayState.State.DOWN, since=since, reason="Connection refused"
    )
    client.force_login(director)
    html = client.get(reverse("notifications:delivery_notice")).content.decode()
    assert "Connection refused" in html  # why
    assert "3 emails are waiting" in html  # how many: their programs only
    assert f"<strong>{program.name}</strong>: 3 emails waiting since" in html  # since when
    assert other_program.name not in html
    client.force_login(other_director)
    html = client.get(reverse("notifications:delivery_notice")).content.decode()
    assert f"<strong>{other_program.name}</strong>: 1 email waiting since" in html
    assert program.name not in html
    client.force_login(admin)
    html = client.get(reverse("notifications:delivery_notice")).content.decode()
    assert "4 emails are waiting" in html  # the whole institution
    assert "Review email delivery" in html


def test_a_failed_email_of_another_program_is_no_problem_for_this_director(
    mentee, director, other_program, test_kind, client
):
    n = plan(mentee)
    Notification.objects.filter(pk=n.pk).update(
        program=other_program, status=Status.FAILED, last_error="550 No such user"
    )
    client.force_login(director)
    assert client.get(reverse("notifications:delivery_notice")).status_code == 204


# --- allauth's emails go through the ledger -------------------------------------------------------

RELAY_DOWN = ConnectionRefusedError(111, "Connection refused")


@pytest.mark.parametrize("known", [True, False])
def test_password_reset_with_the_relay_down_is_sent_later(
    mentee, client, known, django_capture_on_commit_callbacks
):
    address = mentee.email if known else "nobody@northbridge.test"
    with (
        mock.patch(SEND, side_effect=RELAY_DOWN),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("account_reset_password"), {"email": address})
    assert response.status_code == 302
    n = Notification.objects.get(kind=Kind.ACCOUNT)
    assert n.status == Status.PENDING
    assert n.address == address
    assert "sealed" in n.data
    assert address not in str(n.data)  # the link and text are stored encrypted
    assert n.attempts == 1
    # The relay returns: the next probe sends it.
    probe = max(n.due_at, RelayState.objects.get().next_probe_at)
    with time_machine.travel(probe + timedelta(seconds=1)):
        assert notification_deliver(notification_id=n.pk) == "sent"
    assert mail.outbox[0].to == [address]
    n.refresh_from_db()
    assert "sealed" not in n.data  # wiped once sent


def test_sign_up_with_the_relay_down_finishes_and_the_verification_is_sent_later(
    client, settings, django_capture_on_commit_callbacks
):
    settings.MENTORSHIP_SIGNUP_DOMAINS = ["northbridge.test"]
    with (
        mock.patch(SEND, side_effect=RELAY_DOWN),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "new.person@northbridge.test",
                "password1": "a-long-good-password-1",
                "password2": "a-long-good-password-1",
                "given_name": "Nadia",
                "family_name": "Newcomer",
            },
        )
    assert response.status_code == 302
    n = Notification.objects.get(kind=Kind.ACCOUNT)
    assert n.recipient.email == "new.person@northbridge.test"
    assert n.status == Status.PENDING
    probe = max(n.due_at, RelayState.objects.get().next_probe_at)
    with time_machine.travel(probe + timedelta(seconds=1)):
        assert notification_deliver(notification_id=n.pk) == "sent"
    assert "confirm" in mail.outbox[0].body.lower()


def test_the_admins_relay_alert_says_why_and_links_to_the_delivery_page(admin, test_kind):
    RelayState.objects.create(
        pk=1,
        state=RelayState.State.PAUSED,
        since=timezone.now(),
        reason="550 5.7.1 Sender rejected (sender refused)",
    )
    n = notification_plan(recipient=admin, kind=Kind.RELAY_ALERT, subject="relay", cycle="p1")
    RelayState.objects.filter(pk=1).update(state=RelayState.State.OK)
    assert notification_deliver(notification_id=n.pk) == "skipped: no longer relevant"
    RelayState.objects.filter(pk=1).update(state=RelayState.State.PAUSED, next_probe_at=None)
    alert = notification_plan(recipient=admin, kind=Kind.RELAY_ALERT, subject="relay", cycle="p2")
    RelayState.objects.filter(pk=1).update(next_probe_at=timezone.now())  # the probe is due
    assert notification_deliver(notification_id=alert.pk) == "sent"
    body = mail.outbox[0].body
    assert "Sender rejected" in body
    assert reverse("notifications:delivery") in body
    assert "Program directors always receive" not in body
