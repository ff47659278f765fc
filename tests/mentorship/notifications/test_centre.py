"""The notification centre: what the ledger delivered to me (and holds for my digest), newest
first, unread marked, each linking to its item; the header count; only my own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentorship.notifications.kinds import Delivery, Kind
from mentorship.notifications.models import Notification, Status
from mentorship.notifications.services import notification_deliver, preference_set
from programs.services.meetings import meeting_schedule

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def deliver_all() -> None:
    for pk in Notification.objects.filter(status=Status.PENDING).values_list("pk", flat=True):
        notification_deliver(notification_id=pk)


def sent_rows(user, count: int, *, start: int = 0, **fields) -> list[Notification]:
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=Kind.MEETING_UPCOMING,
            subject=f"meeting:{i}",
            cycle="upcoming:s0",
            status=Status.SENT,
            due_at=now,
            sent_at=now,
            summary=f"Meeting number {i}",
            link=f"/meetings/{i}/",
            **fields,
        )
        for i in range(start, start + count)
    )


def test_a_sent_email_is_listed_unread_with_its_summary_and_link(
    pair, mentee, mentor, client_for, frozen
):
    meeting = meeting_schedule(relationship=pair, starts_at=NOW + timedelta(days=3), by=mentee)
    deliver_all()
    response = client_for(mentor).get(reverse("notifications:centre"))
    (n,) = response.context["notifications"]
    assert n.summary.startswith(f"{mentee.profile.display_name} scheduled a meeting with you")
    assert n.link == f"/meetings/{meeting.pk}/"
    page = response.content.decode()
    assert "Unread" in page
    assert reverse("notifications:open", args=[n.pk]) in page


def test_opening_one_marks_it_read_and_goes_to_its_item(pair, mentee, mentor, client_for, frozen):
    meeting = meeting_schedule(relationship=pair, starts_at=NOW + timedelta(days=3), by=mentee)
    deliver_all()
    n = Notification.objects.get(recipient=mentor)
    client = client_for(mentor)
    response = client.get(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("meeting_detail", args=[meeting.pk])
    n.refresh_from_db()
    assert n.read_at == NOW
    assert "Unread" not in client.get(reverse("notifications:centre")).content.decode()


def test_what_waits_for_the_digest_is_listed_too(pair, mentee, mentor, client_for, frozen):
    from tests.relationship_fixtures import upcoming_meeting

    preference_set(user=mentor, kind=Kind.MEETING_UPCOMING, delivery=Delivery.DAILY)
    meeting = upcoming_meeting(pair, days_ahead=1)
    Notification.objects.create(
        recipient=mentor,
        kind=Kind.MEETING_UPCOMING,
        subject=f"meeting:{meeting.pk}",
        cycle="upcoming:s0",
        due_at=NOW,
    )
    deliver_all()
    response = client_for(mentor).get(reverse("notifications:centre"))
    (n,) = response.context["notifications"]
    assert n.status == Status.IN_DIGEST
    assert n.summary.startswith("Meeting with")
    assert "waiting for your next digest" in response.content.decode()


def test_newest_first_and_digest_emails_themselves_are_not_listed(mentee, client_for, frozen):
    older, newer = sent_rows(mentee, 2)
    Notification.objects.filter(pk=older.pk).update(created_at=NOW - timedelta(days=2))
    Notification.objects.create(
        recipient=mentee,
        kind=Kind.DIGEST,
        subject="user:1",
        cycle="d1",
        due_at=NOW,
        status=Status.SENT,
    )
    skipped = sent_rows(mentee, 1, start=5)[0]
    Notification.objects.filter(pk=skipped.pk).update(status=Status.SKIPPED)
    listed = client_for(mentee).get(reverse("notifications:centre")).context["notifications"]
    assert [n.pk for n in listed] == [newer.pk, older.pk]


def test_the_header_counts_unread_notifications(mentee, client_for):
    rows = sent_rows(mentee, 3)
    client = client_for(mentee)
    page = client.get(reverse("home")).content.decode()
    assert '<span class="nav-count">3<span class="visually-hidden"> unread</span></span>' in page
    client.post(reverse("notifications:mark_read", args=[rows[0].pk]))
    assert '<span class="nav-count">2<span' in client.get(reverse("home")).content.decode()
    client.post(reverse("notifications:mark_all_read"))
    assert "nav-count" not in client.get(reverse("home")).content.decode()


def test_the_header_count_is_one_query_whatever_the_number(mentee, client_for):
    client = client_for(mentee)
    url = reverse("notifications:preferences")
    client.get(url)
    with CaptureQueriesContext(connection) as none:
        client.get(url)
    sent_rows(mentee, 40)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    counts = [q["sql"] for q in many.captured_queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1
    assert len(many) == len(none)


def test_the_list_runs_the_same_queries_for_1_or_50(
    mentee, program, client_for, django_assert_num_queries
):
    client = client_for(mentee)
    url = reverse("notifications:centre")
    sent_rows(mentee, 1, program=program)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    Notification.objects.all().delete()
    sent_rows(mentee, 50, program=program)
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert len(response.context["notifications"]) == 50


def test_only_my_own_notifications(mentee, mentor, client_for):
    (theirs,) = sent_rows(mentor, 1)
    client = client_for(mentee)
    assert client.get(reverse("notifications:centre")).context["notifications"].count() == 0
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:mark_read", args=[theirs.pk])).status_code == 404
    client.post(reverse("notifications:mark_all_read"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_requires_login(client):
    response = client.get(reverse("notifications:centre"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_marking_read_needs_a_post(mentee, client_for):
    (n,) = sent_rows(mentee, 1)
    assert (
        client_for(mentee).get(reverse("notifications:mark_read", args=[n.pk])).status_code == 405
    )


def test_links_to_other_sites_are_never_kept(mentee, test_kind):
    from mentorship.notifications import kinds
    from mentorship.notifications.services import notification_plan

    kinds.BUILDERS["test_reminder"] = lambda n: {"summary": "x", "url": "https://evil.example/"}
    n = notification_plan(recipient=mentee, kind="test_reminder", subject="t:1", cycle="1")
    notification_deliver(notification_id=n.pk)
    n.refresh_from_db()
    assert n.status == Status.SENT
    assert n.link == ""
