"""Every form that creates something is idempotent: a double-click, a back-button resubmit or a
network retry (the same per-form token sent again) makes one row and one email, and the second
request lands on what the first created. Correctness never depends on JavaScript."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from matching.models import PairRule
from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification
from programs.models import (
    ActionItem,
    AgendaItem,
    Concern,
    ConcernNote,
    DirectorNote,
    FormSubmission,
    Meeting,
    MentorRecognition,
    Relationship,
    ReportExport,
    ReviewInstrument,
)
from programs.services.concerns import concern_raise
from tests.factories import PASSWORD
from tests.relationship_fixtures import upcoming_meeting

pytestmark = pytest.mark.django_db

# A route creates something if its name or path says so. A new create route is caught here
# by its name (…_new, …_add, …_copy) or path (/new/, /add/), or listed below.
CREATE_NAME = re.compile(r"(_new|_add|_copy)$|^(new|add)_")
CREATE_PATH = re.compile(r"(^|/)(new|add)/")
CREATE_OTHERS = {
    "request_new",  # a mentor request
    "declare_conflict",
    "rules",  # a pair rule
    "assign",  # a relationship
    "invite",
    "concern_note",
    "roster",  # an uploaded roster (admins)
    "program_roster",
    "report_export",
    "action_item_add",
    "training_add",
}


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def create_routes():
    for path, pattern in walk(get_resolver().url_patterns):
        module = getattr(pattern.callback, "__module__", "")
        if not module.startswith(("programs.", "matching.", "mentorship.")):
            continue
        name = pattern.name or ""
        if CREATE_NAME.search(name) or CREATE_PATH.search(path) or name in CREATE_OTHERS:
            yield name, path, pattern.callback


def test_the_walk_finds_the_create_forms_people_use_most():
    names = {name for name, _, _ in create_routes()}
    assert {"meeting_new", "concern_new", "action_item_add", "agenda_add", "checkin_new"} <= names
    assert len(names) >= 20


def test_every_create_route_consumes_a_submission_token():
    missing = [
        f"{name} ({path})"
        for name, path, callback in create_routes()
        if not getattr(callback, "once_per_submission", False)
    ]
    assert missing == [], "create views without @once_per_submission"


def test_every_post_form_carries_its_own_token(pair, mentee, client_for):
    html = client_for(mentee).get(reverse("relationship_detail", args=[pair.pk])).content.decode()
    csrf = html.count('name="csrfmiddlewaretoken"')
    tokens = re.findall(r'name="_submission" value="([0-9a-f]{32})"', html)
    assert csrf >= 2
    assert len(tokens) == csrf
    assert len(set(tokens)) == len(tokens)


def submit_twice(client, url, data):
    data = {**data, "_submission": uuid.uuid4().hex}
    first = client.post(url, data)
    second = client.post(url, data)  # a double-click, a back-button resubmit, a retry
    return first, second


def test_a_double_submitted_concern_makes_one_concern_and_one_alert(
    pair, mentee, director, client_for
):
    first, second = submit_twice(
        client_for(mentee),
        reverse("concern_new", args=[pair.pk]),
        {"category": "unresponsive", "text": "No reply for two months."},
    )
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]  # lands on what the first created
    assert Concern.objects.count() == 1
    assert Notification.objects.filter(kind=Kind.CONCERN_ALERT).count() == 1


CASES = {
    "meeting_new": (
        Meeting,
        lambda pair: reverse("meeting_new", args=[pair.pk]),
        lambda pair: {
            "on": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "starts": "09:00",
            "ends": "10:00",
            "mode": "video",
        },
    ),
    "action_item_add": (
        ActionItem,
        lambda pair: reverse("action_item_add", args=[pair.pk]),
        lambda pair: {"title": "Send CV", "owner": pair.members.first().person_id, "due_on": ""},
    ),
    "agenda_add": (
        AgendaItem,
        lambda pair: reverse("agenda_add", args=[upcoming_meeting(pair).pk]),
        lambda pair: {"topic": "Aims page"},
    ),
    "checkin_new": (
        Meeting,
        lambda pair: reverse("checkin_new", args=[pair.pk]),
        lambda pair: {
            "occurred_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "mode": "email",
            "summary": "Comments on the draft",
        },
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_double_submitted_form_makes_one_row(case, pair, mentee, client_for):
    model, url, data = CASES[case]
    before = model.objects.count()
    first, second = submit_twice(client_for(mentee), url(pair), data(pair))
    assert first.status_code == 302, first.content.decode()[:500]
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert model.objects.count() == before + 1


def test_directors_notes_double_submitted_make_one_note(pair, director, mentee, client_for):
    concern = concern_raise(relationship=pair, category="credit", text="t", by=mentee)
    client = client_for(director)
    submit_twice(client, reverse("concern_note", args=[concern.pk]), {"text": "Called them."})
    assert ConcernNote.objects.count() == 1
    submit_twice(
        client,
        reverse("director_note_add", args=[pair.pk]),
        {
            "held_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
            "text": "Brokered a conversation.",
        },
    )
    assert DirectorNote.objects.count() == 1


def test_a_form_with_errors_sent_twice_shows_the_errors_both_times(pair, mentee, client_for):
    first, second = submit_twice(
        client_for(mentee), reverse("concern_new", args=[pair.pk]), {"category": "other"}
    )
    assert first.status_code == second.status_code == 400
    assert not Concern.objects.exists()
    assert not FormSubmission.objects.exists()


def test_without_a_token_the_form_still_works(pair, mentee, client_for):
    response = client_for(mentee).post(
        reverse("concern_new", args=[pair.pk]), {"category": "other", "text": "Something."}
    )
    assert response.status_code == 302
    assert Concern.objects.count() == 1


def test_someone_elses_token_does_not_reveal_their_result(pair, mentee, mentor, client_for):
    data = {"category": "other", "text": "Private.", "_submission": uuid.uuid4().hex}
    first = client_for(mentee).post(reverse("concern_new", args=[pair.pk]), data)
    other = client_for(mentor).post(reverse("concern_new", args=[pair.pk]), data)
    assert other["Location"] != first["Location"]


DIRECTOR_CASES = {
    # The create forms the whole-app walk (tests/test_double_submit.py) cannot fill in by itself.
    "pair rule": (
        PairRule,
        lambda program: reverse("matching:rules", args=[program.pk]),
        lambda mentee, mentor: {
            "mentee": mentee.profile.pk,
            "mentor": mentor.profile.pk,
            "kind": "forbid",
            "note": "",
        },
    ),
    "award": (
        MentorRecognition,
        lambda program: reverse("recognition_new", args=[program.pk]),
        lambda mentee, mentor: {
            "person": mentor.profile.pk,
            "kind": "award",
            "title": "Dean's award for mentoring",
            "awarded_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
        },
    ),
    "hand-assigned pair": (
        Relationship,
        lambda program: reverse("matching:assign", args=[program.pk]),
        lambda mentee, mentor: {"mentor": mentor.profile.pk, "focus_area": ""},
    ),
    "report export": (
        ReportExport,
        lambda program: reverse("report_export", args=[program.pk]),
        lambda mentee, mentor: {
            "start": (timezone.localdate() - timedelta(days=90)).isoformat(),
            "end": timezone.localdate().isoformat(),
            "format": "pdf",
        },
    ),
    "review form": (
        ReviewInstrument,
        lambda program: reverse("review_instrument_new", args=[program.pk]),
        lambda mentee, mentor: {
            "name": "Our relationship check",
            "description": "",
            "source": "",
            "scale_max": 5,
            "scale_labels_text": "",
            "revision": "",
            "items-TOTAL_FORMS": 1,
            "items-INITIAL_FORMS": 0,
            "items-MIN_NUM_FORMS": 0,
            "items-MAX_NUM_FORMS": 1000,
            "items-0-text": "We meet as often as we agreed.",
            "items-0-construct": "cadence",
            "items-0-polarity": "strength",
        },
    ),
}


@pytest.mark.parametrize("case", sorted(DIRECTOR_CASES))
def test_a_double_submitted_director_form_makes_one_row(
    case, program, mentee, mentor, director, client_for
):
    model, url, data = DIRECTOR_CASES[case]
    before = model.objects.count()
    address = url(program)
    if case == "hand-assigned pair":  # the director has picked the mentee on the page first
        address += f"?mentee={mentee.profile.pk}"
    client = client_for(director)
    if case == "report export":  # exports ask for the password again first
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    first, second = submit_twice(client, address, data(mentee, mentor))
    assert first.status_code == 302, first.content.decode()[:2000]
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert model.objects.count() == before + 1
