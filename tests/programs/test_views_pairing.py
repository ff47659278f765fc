"""The director's pages that pair people show every reason the gate gives, next to the form,
keep what was typed, and offer the rules that may be set aside, one by one, with a why."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from matching.models import ConflictOfInterest
from programs.models import AuditEvent, MentorOffer, NeedArea, Relationship
from tests.relationship_fixtures import pair, program_mentor

__all__ = ["pair"]


def _pause(user, days=30):
    until = timezone.localdate() + timedelta(days=days)
    MentorOffer.objects.create(person=user.profile, accepting=False, paused_until=until)
    return until


def test_new_relationship_lists_every_reason_and_keeps_what_was_typed(
    program, mentee, mentor, director, client_for
):
    until = _pause(mentor)
    mentor.profile.memberships.filter(program=program).update(mentor_capacity=0)
    ConflictOfInterest.objects.create(
        person=mentee.profile, other=mentor.profile, declared_by=mentee
    )
    area = NeedArea.objects.filter(is_active=True).first()
    url = reverse("relationship_new", args=[program.pk])
    response = client_for(director).post(
        url,
        {
            "kind": "one_to_one",
            "mentees": [mentee.profile.pk],
            "mentors": [mentor.profile.pk],
            "focus_area": area.pk,
            "started_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot be paired, for a confidential reason" in html
    assert f"has paused until {until:%-d %B %Y}" in html
    assert "is full: 0 of 0 places taken" in html
    # What was chosen stays chosen.
    assert f'value="{area.pk}" selected' in html
    # Only the rules that may be set aside are offered; the conflict is not one of them.
    assert 'value="paused"' in html
    assert 'value="capacity"' in html
    assert 'value="conflict_of_interest"' not in html
    assert not Relationship.objects.exists()


def test_new_relationship_with_overrides_needs_a_why(program, mentee, mentor, director, client_for):
    _pause(mentor)
    url = reverse("relationship_new", args=[program.pk])
    data = {
        "kind": "one_to_one",
        "mentees": [mentee.profile.pk],
        "mentors": [mentor.profile.pk],
        "started_on": timezone.localdate().isoformat(),
        "overrides": ["paused"],
    }
    client = client_for(director)
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "Say why these rules are set aside" in refused.content.decode()
    done = client.post(url, {**data, "override_why": "He offered, despite his leave."})
    assert done.status_code == 302
    relationship = Relationship.objects.get()
    assert AuditEvent.objects.get(verb="pairing.override").detail["why"] == (
        "He offered, despite his leave."
    )
    assert done.url == relationship.get_absolute_url()


def test_the_assign_page_shows_reasons_and_overrides_per_rule(
    program, mentee, mentor, director, client_for
):
    _pause(mentor)
    url = reverse("matching:assign", args=[program.pk]) + f"?mentee={mentee.profile.pk}"
    client = client_for(director)
    html = client.get(url).content.decode()
    assert "Robert Mentor has paused until" in html
    assert "Assign although the mentor has paused" in html
    refused = client.post(url, {"mentor": mentor.profile.pk, "overrides": ["paused"]})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Say why these rules are set aside" in html
    assert 'value="paused" id="ov-' in html
    assert "checked" in html
    done = client.post(
        url,
        {"mentor": mentor.profile.pk, "overrides": ["paused"], "override_why": "He asked."},
    )
    assert done.status_code == 302


def test_the_assign_page_checks_every_mentor_in_a_fixed_number_of_queries(
    program, mentee, director, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("matching:assign", args=[program.pk]) + f"?mentee={mentee.profile.pk}"
    client = client_for(director)
    program_mentor(program)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(10):
        program_mentor(program)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)


def test_reassign_asks_for_confirmation_first(pair, program, director, mentor, client_for):
    incoming = program_mentor(program)
    url = reverse("relationship_reassign", args=[pair.pk])
    client = client_for(director)
    response = client.post(
        url,
        {
            "outgoing": mentor.profile.pk,
            "incoming": incoming.profile.pk,
            "reason_for_directors": "Not a fit",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "What happens when you confirm" in html
    assert "Confirm the reassignment" in html
    assert "Not a fit" in html  # what was typed is kept
    pair.refresh_from_db()
    assert pair.is_open  # nothing changed yet
    done = client.post(
        url,
        {
            "outgoing": mentor.profile.pk,
            "incoming": incoming.profile.pk,
            "reason_for_directors": "Not a fit",
            "confirm": "1",
        },
    )
    successor = Relationship.objects.get(previous=pair)
    assert done.url == successor.get_absolute_url()


def test_reassign_confirmation_lists_the_gates_reasons(pair, program, director, mentor, client_for):
    incoming = program_mentor(program, capacity=0)
    _pause(incoming)
    html = (
        client_for(director)
        .post(
            reverse("relationship_reassign", args=[pair.pk]),
            {"outgoing": mentor.profile.pk, "incoming": incoming.profile.pk},
        )
        .content.decode()
    )
    assert "Rules in the way" in html
    assert "has paused until" in html
    assert "is full: 0 of 0 places taken" in html
    assert "Assign although the mentor is full" in html
    assert "Assign although the mentor has paused" in html


def test_a_mentor_in_the_reporting_line_cannot_be_confirmed(
    pair, program, director, mentee, mentor, client_for
):
    boss = program_mentor(program)
    mentee.profile.reports_to = boss.profile
    mentee.profile.save()
    html = (
        client_for(director)
        .post(
            reverse("relationship_reassign", args=[pair.pk]),
            {"outgoing": mentor.profile.pk, "incoming": boss.profile.pk},
        )
        .content.decode()
    )
    assert "This reassignment is not possible" in html
    assert ">Confirm the reassignment</button>" not in html


def test_after_a_reassignment_the_mentee_is_pointed_to_the_new_relationship(
    pair, program, director, mentee, mentor, client_for
):
    from programs.services.relationships import relationship_reassign

    incoming = program_mentor(program)
    successor = relationship_reassign(
        relationship=pair, outgoing=mentor.profile, incoming=incoming.profile, by=director
    )
    link = f'href="{successor.get_absolute_url()}"'
    assert link in client_for(mentee).get(pair.get_absolute_url()).content.decode()
    # The outgoing mentor still reads the old relationship, and is not pointed onwards.
    old = client_for(mentor).get(pair.get_absolute_url())
    assert old.status_code == 200
    assert link not in old.content.decode()
    assert client_for(mentor).get(successor.get_absolute_url()).status_code == 404
