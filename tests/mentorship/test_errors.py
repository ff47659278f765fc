"""Error pages tell the truth: a database outage is a 503 outage page with Retry-After (wherever
the error was raised), and the 500 page says the team was told only when a report was sent."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from mentorship.reporting import init_error_reporting

pytestmark = pytest.mark.django_db

LOAD = "django.contrib.sessions.backends.db.SessionStore.load"


def signed_in_client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("error", [OperationalError("connection refused"), InterfaceError("gone")])
def test_the_database_being_away_is_an_outage_page_with_retry_after(mentee, error):
    client = signed_in_client(mentee)
    with mock.patch(LOAD, side_effect=error):  # raised in the middleware, before any view
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    text = response.content.decode()
    assert "briefly unavailable" in text
    assert "press Back" in text


def test_without_error_reporting_the_500_page_does_not_claim_anyone_was_told(mentee, settings):
    settings.SENTRY_DSN = ""
    client = signed_in_client(mentee)
    with mock.patch(LOAD, side_effect=RuntimeError("boom")):
        response = client.get("/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "has been told" not in text
    assert "reported to the team" not in text
    assert "server's log" in text


def test_with_error_reporting_the_500_page_gives_the_reference(mentee, settings):
    settings.SENTRY_DSN = "https://key@errors.example.org/1"
    client = signed_in_client(mentee)
    with (
        mock.patch(LOAD, side_effect=RuntimeError("boom")),
        mock.patch("sentry_sdk.last_event_id", return_value="4f2a9c"),
    ):
        response = client.get("/")
    assert response.status_code == 500
    assert "reported to the team" in response.content.decode()
    assert "4f2a9c" in response.content.decode()


def test_error_reporting_is_off_unless_a_dsn_is_set():
    assert init_error_reporting(dsn="", environment="test") is False
