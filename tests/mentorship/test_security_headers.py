"""Every response carries the Content-Security-Policy; pages shown to a signed-in person are not
stored by the browser (they carry concerns, meetings, reviews, self-evaluations, notes)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programs.services.concerns import concern_raise
from programs.services.meetings import meeting_schedule
from tests.assessment_factories import draft

pytestmark = pytest.mark.django_db


def test_the_policy_is_strict(client):
    policy = client.get(reverse("account_login"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


@pytest.mark.parametrize("url", ["/healthz", "/accounts/login/", "/nowhere/", "/django-admin/"])
def test_every_response_has_it_even_errors_and_redirects(client, url):
    assert "script-src 'self'" in client.get(url)["Content-Security-Policy"]


def test_public_pages_may_be_cached_but_signed_in_pages_are_not(client, client_for, mentee):
    # (The health probes are never cached on purpose: a probe must reach the process.)
    assert "no-store" not in client.get(reverse("account_reset_password")).get("Cache-Control", "")
    assert "no-store" in client_for(mentee).get("/")["Cache-Control"]


def test_confidential_pages_are_not_stored(client_for, pair, mentee, director):
    from datetime import timedelta

    from django.utils import timezone

    concern = concern_raise(relationship=pair, category="other", text="Private.", by=mentee)
    meeting = meeting_schedule(
        relationship=pair, starts_at=timezone.now() + timedelta(days=2), by=mentee
    )
    assessment = draft(mentee.profile)
    pages = {
        mentee: [
            reverse("meeting_detail", args=[meeting.pk]),
            reverse("relationship_detail", args=[pair.pk]),
            reverse("assessments:step", args=[assessment.pk, "needs"]),
            reverse("assessments:review", args=[assessment.pk]),
        ],
        director: [
            reverse("concern_detail", args=[concern.pk]),
            reverse("relationship_detail", args=[pair.pk]),
        ],
    }
    for user, urls in pages.items():
        client = client_for(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert "no-store" in response["Cache-Control"], url
