"""Every page of the demo, for each of its sign-ins, on a 320 px phone: nothing scrolls sideways
and axe-core finds nothing. The crawl follows every link a person can follow (GET), one page of
each kind per sign-in (the URL pattern decides the kind), so a new page is covered as soon as a
link leads to it."""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError

from programs.demo.institution import seed_demo
from tests.browser.conftest import NARROWEST, SIDEWAYS_JS, axe_violations, plant_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.no_audit]

# Files, feeds and pages that are not ours, or that a visit would change.
NOT_PAGES = re.compile(
    r"/admin/|/accounts/logout/|\.(ics|csv|xlsx|pdf)$|/download/|/pdf/|/export\.csv$"
)


def page_kind(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.route


def crawl(page: Any, base: str) -> tuple[set[str], list[str]]:
    """Visit every kind of page reachable from home; return the kinds seen and the problems."""
    seen: set[str] = set()
    problems: list[str] = []
    queue = deque([f"{base}/"])
    while queue:
        url = queue.popleft()
        path = urlsplit(url).path
        kind = page_kind(path)
        if kind is None or kind in seen or NOT_PAGES.search(path):
            continue
        seen.add(kind)
        try:
            response = page.goto(url)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue  # a link to a file, not a page
            raise
        if response is None or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        if response.status >= 400:
            problems.append(f"{path}: HTTP {response.status} from a link on the site")
            continue
        sideways = page.evaluate(SIDEWAYS_JS)
        if sideways:
            problems.append(f"{path}: scrolls sideways at {NARROWEST} px: {sideways}")
        problems.extend(f"{path}: {v}" for v in axe_violations(page))
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            if href.startswith(base):
                queue.append(href.split("#")[0])
    return seen, problems


def test_every_page_of_the_demo_fits_a_phone_for_every_sign_in(browser: Any, live_server: Any):
    demo = seed_demo()
    users = get_user_model().objects.filter(email__in=[d.email for d in demo.logins])
    assert users.count() == len(demo.logins) >= 6
    report = []
    for user in users:
        context = browser.new_context(viewport={"width": NARROWEST, "height": 800})
        page = context.new_page()
        page.set_default_timeout(20_000)
        plant_session(context, live_server.url, user)
        kinds, problems = crawl(page, live_server.url)
        context.close()
        assert len(kinds) >= 5, f"{user.email} reached only {kinds}"
        report.extend(f"{user.email} {p}" for p in problems)
    assert not report, "\n".join(report)
