"""Concern pages: raising one, the raiser following it, directors handling it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from programs.models import AuditEvent, Concern, ConcernStatus
from programs.services.concerns import concern_note_add, concern_raise
from tests.relationship_fixtures import MANY_PAIRS, make_relationship, program_mentee

pytestmark = pytest.mark.django_db


def test_a_mentee_raises_a_concern_and_follows_it(pair, mentee, client_for):
    response = client_for(mentee).post(
        reverse("concern_new", args=[pair.pk]),
        {"category": "unresponsive", "text": "No reply for two months."},
    )
    concern = Concern.objects.get()
    assert response["Location"] == reverse("concern_detail", args=[concern.pk])
    html = client_for(mentee).get(response["Location"]).content.decode()
    assert "No reply for two months." in html
    assert "Only you and the directors" in html


def test_an_empty_concern_is_a_field_error(pair, mentee, client_for):
    response = client_for(mentee).post(
        reverse("concern_new", args=[pair.pk]), {"category": "other"}
    )
    assert response.status_code == 400
    assert not Concern.objects.exists()


def test_directors_acknowledge_and_resolve_with_notes(pair, mentee, director, client_for):
    concern = concern_raise(relationship=pair, category="credit", text="t", by=mentee)
    client = client_for(director)
    client.post(reverse("concern_acknowledge", args=[concern.pk]))
    client.post(reverse("concern_note", args=[concern.pk]), {"text": "DIRECTOR-NOTE"})
    client.post(reverse("concern_resolve", args=[concern.pk]), {"resolution": "Mediated; fixed."})
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.RESOLVED
    director_html = client.get(reverse("concern_detail", args=[concern.pk])).content.decode()
    assert "DIRECTOR-NOTE" in director_html
    assert "Who has opened it" in director_html
    raiser_html = (
        client_for(mentee).get(reverse("concern_detail", args=[concern.pk])).content.decode()
    )
    assert "Mediated; fixed." in raiser_html  # the resolution is for the raiser
    assert "DIRECTOR-NOTE" not in raiser_html  # the working notes are not
    assert "Who has opened it" not in raiser_html


def test_resolving_needs_words(pair, mentee, director, client_for):
    concern = concern_raise(relationship=pair, category="credit", text="t", by=mentee)
    response = client_for(director).post(
        reverse("concern_resolve", args=[concern.pk]), {"resolution": ""}
    )
    assert response.status_code == 400
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.OPEN


def test_opening_a_concern_writes_an_audit_row_per_visit_not_per_reload(
    pair, mentee, director, admin, client_for
):
    concern = concern_raise(relationship=pair, category="credit", text="t", by=mentee)
    url = reverse("concern_detail", args=[concern.pk])
    start = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            client_for(director).get(url)
        client_for(admin).get(url)
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        client_for(director).get(url)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        client_for(director).get(url)
    assert AuditEvent.objects.filter(verb="concern.view", actor=director).count() == 2
    assert AuditEvent.objects.filter(verb="concern.view", actor=admin).count() == 1


def test_the_list_shows_no_text_and_does_not_count_as_opening(pair, mentee, director, client_for):
    concern_raise(relationship=pair, category="credit", text="SECRET-LIST-TEXT", by=mentee)
    html = (
        client_for(director)
        .get(reverse("program_concerns", args=[pair.program_id]))
        .content.decode()
    )
    assert "Credit taken for my work" in html
    assert "SECRET-LIST-TEXT" not in html
    assert not AuditEvent.objects.filter(verb="concern.view").exists()


def test_the_list_runs_the_same_queries_for_1_or_50(
    mentor, director, program, client_for, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n):
        for _ in range(n):
            mentee = program_mentee(program)
            r = make_relationship(
                program=program,
                mentees=[mentee],
                mentors=[mentor],
                by=director,
                overrides=MANY_PAIRS,
            )
            concern = concern_raise(relationship=r, category="other", text="t", by=mentee)
            concern_note_add(concern=concern, text="n", by=director)

    client = client_for(director)
    url = reverse("program_concerns", args=[program.pk])
    add(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    add(49)
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 50
