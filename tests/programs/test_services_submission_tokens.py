"""Consumed form-submission tokens are forgotten after MENTORSHIP_SUBMISSION_TOKEN_DAYS by a
periodic task, so the table does not grow for ever; within that time a resubmit still lands on
what the first submission created."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from programs.models import Concern, FormSubmission
from programs.tasks import purge_submission_tokens

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sent(pair, mentee, client_for):
    """A concern raised through the form, with its submission token."""
    data = {"category": "other", "text": "No reply.", "_submission": uuid.uuid4().hex}
    with time_machine.travel(SENT, tick=False):
        response = client_for(mentee).post(reverse("concern_new", args=[pair.pk]), data)
    assert response.status_code == 302
    return data


def test_the_default_keeping_period_is_a_week():
    assert settings.MENTORSHIP_SUBMISSION_TOKEN_DAYS == 7


def test_tokens_within_the_period_are_kept_and_still_stop_a_resubmit(
    sent, pair, mentee, client_for
):
    with time_machine.travel(SENT + timedelta(days=6, hours=23), tick=False):
        assert purge_submission_tokens.delay().get() == 0
        again = client_for(mentee).post(reverse("concern_new", args=[pair.pk]), sent)
    assert again.status_code == 302
    assert FormSubmission.objects.count() == 1
    assert Concern.objects.count() == 1


def test_older_tokens_are_deleted_and_a_second_run_finds_nothing(sent):
    with time_machine.travel(SENT + timedelta(days=7, minutes=1), tick=False):
        assert purge_submission_tokens.delay().get() == 1
        assert purge_submission_tokens.delay().get() == 0
    assert not FormSubmission.objects.exists()
    assert Concern.objects.count() == 1  # what the form created stays


def test_the_period_comes_from_settings(sent, settings):
    settings.MENTORSHIP_SUBMISSION_TOKEN_DAYS = 1
    with time_machine.travel(SENT + timedelta(days=1, minutes=1), tick=False):
        assert purge_submission_tokens.delay().get() == 1


def test_the_purge_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-submission-tokens"]
    assert entry["task"] == "programs.tasks.purge_submission_tokens"
    assert entry["schedule"] <= 24 * 60 * 60
