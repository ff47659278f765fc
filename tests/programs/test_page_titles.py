"""Every page of a relationship or one of its meetings has its own title, naming the other person,
so a screen-reader user with several tabs open (or the browser history) can tell them apart."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, get_resolver, reverse

from tests.relationship_fixtures import upcoming_meeting

pytestmark = pytest.mark.django_db


def all_routes(patterns=None, prefix="", namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLPattern):
            if pattern.name:
                yield route, namespace + pattern.name
        else:
            ns = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from all_routes(pattern.url_patterns, route, namespace + ns)


def relationship_and_meeting_pages() -> list[tuple[str, str]]:
    """(url name, what its pk is) for every page under /relationships/<pk>/ or /meetings/<pk>/."""
    pages = []
    for route, name in all_routes():
        for prefix, kind in (
            ("relationships/<int:pk>/", "relationship"),
            ("meetings/<int:pk>/", "meeting"),
        ):
            if route.startswith(prefix) and route.endswith("/") and "<" not in route[len(prefix) :]:
                pages.append((name, kind))
    return pages


def test_relationship_and_meeting_pages_are_found():
    names = {name for name, _ in relationship_and_meeting_pages()}
    assert {"relationship_detail", "meeting_detail", "meeting_new", "meeting_edit"} <= names


def test_each_page_is_titled_with_the_other_person(pair, mentee, mentor, client_for):
    meeting = upcoming_meeting(pair, scheduled_by=mentee)
    client = client_for(mentee)
    titles = {}
    for name, kind in relationship_and_meeting_pages():
        response = client.get(
            reverse(name, args=[pair.pk if kind == "relationship" else meeting.pk])
        )
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue  # actions (POST only), files and redirects have no title
        (title,) = re.findall(r"<title>(.*?)</title>", response.content.decode(), re.S)
        titles[name] = " ".join(title.split())
    assert len(titles) >= 5
    untitled = {n: t for n, t in titles.items() if mentor.profile.display_name not in t}
    assert not untitled, untitled
    assert len(set(titles.values())) == len(titles), titles


def test_the_titles_checked(pair, mentee, client_for):
    """The test above must have looked at the pages people actually open."""
    meeting = upcoming_meeting(pair, scheduled_by=mentee)
    client = client_for(mentee)
    for name, pk in (("relationship_detail", pair.pk), ("meeting_detail", meeting.pk)):
        assert client.get(reverse(name, args=[pk])).status_code == 200
    checked = {name for name, _ in relationship_and_meeting_pages()}
    assert {"relationship_agreement", "relationship_end", "checkin_new", "concern_new"} <= checked
