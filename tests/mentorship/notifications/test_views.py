"""The preferences page and the one-click unsubscribe link."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mentorship.notifications.kinds import Delivery, Kind
from mentorship.notifications.models import Preference, QuietHours
from mentorship.notifications.services import unsubscribe_token

pytestmark = pytest.mark.django_db


def test_faculty_do_not_see_director_only_kinds(client_for, mentee, director):
    mentee_html = client_for(mentee).get(reverse("notifications:preferences")).content.decode()
    director_html = client_for(director).get(reverse("notifications:preferences")).content.decode()
    assert "Confidential concerns" not in mentee_html
    assert "Confidential concerns" in director_html
    assert "Program directors always receive these" in director_html


def test_saving_preferences_and_quiet_hours(client_for, mentee):
    response = client_for(mentee).post(
        reverse("notifications:preferences"),
        {
            "kind_meeting_upcoming": Delivery.DAILY,
            "kind_checkin_overdue": Delivery.OFF,
            "quiet_starts": "21:00",
            "quiet_ends": "07:00",
        },
    )
    assert response.status_code == 302
    prefs = dict(Preference.objects.filter(user=mentee).values_list("kind", "delivery"))
    assert prefs[Kind.MEETING_UPCOMING] == Delivery.DAILY
    assert prefs[Kind.CHECKIN_OVERDUE] == Delivery.OFF
    assert QuietHours.objects.get(user=mentee).starts.hour == 21


def test_half_a_quiet_period_is_explained(client_for, mentee):
    response = client_for(mentee).post(
        reverse("notifications:preferences"), {"quiet_starts": "21:00"}
    )
    assert "Give both a start and an end" in response.content.decode()


def test_a_director_cannot_switch_off_concern_alerts_by_posting(client_for, director):
    client_for(director).post(
        reverse("notifications:preferences"), {"kind_concern_alert": Delivery.OFF}
    )
    assert not Preference.objects.filter(user=director, kind=Kind.CONCERN_ALERT).exists()


def test_unsubscribe_asks_then_switches_off_without_signing_in(client, mentee):
    url = reverse(
        "notifications:unsubscribe", args=[unsubscribe_token(mentee, Kind.CHECKIN_OVERDUE)]
    )
    page = client.get(url)
    assert "Stop these emails?" in page.content.decode()
    assert not Preference.objects.exists()  # a link scanner's GET changes nothing
    done = client.post(url)
    assert "no longer receive" in done.content.decode()
    assert Preference.objects.get(user=mentee).delivery == Delivery.OFF


def test_one_click_unsubscribe_from_the_mail_client(client, mentee):
    url = reverse(
        "notifications:unsubscribe", args=[unsubscribe_token(mentee, Kind.CHECKIN_OVERDUE)]
    )
    client.post(url, {"List-Unsubscribe": "One-Click"})
    assert Preference.objects.get(user=mentee).delivery == Delivery.OFF


def test_concern_alerts_explain_they_cannot_be_stopped(client, director):
    url = reverse(
        "notifications:unsubscribe", args=[unsubscribe_token(director, Kind.CONCERN_ALERT)]
    )
    assert "cannot be switched off" in client.post(url).content.decode()
    assert not Preference.objects.exists()


def test_a_tampered_link_is_refused(client):
    assert client.get(reverse("notifications:unsubscribe", args=["nonsense"])).status_code == 400
