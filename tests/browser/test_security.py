"""In a real browser, with the Content-Security-Policy enforced: no page of the demo crawl
breaks the policy (nothing inline, nothing from elsewhere), and markup stored anywhere a person
types — even data saved before the validators existed — never runs or becomes an element."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from programs.demo.institution import seed_demo
from tests.browser.conftest import BASE_CONTEXT
from tests.discovery import crawl

pytestmark = pytest.mark.django_db(transaction=True)

# Records every violation the browser reports, before any of the page's own scripts run.
LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
    + ` at ${e.sourceFile || ''}:${e.lineNumber || ''} ${e.sample || ''}`);
});
"""

ROLES = [
    "mentee@northbridge.example",
    "mentor@northbridge.example",
    "director@northbridge.example",
    "admin@northbridge.example",
]


def signed_in_context(
    browser: Any, live_server: Any, user: Any, *, enforce_csp: bool = True
) -> Any:
    """A context signed in as `user`; by default it enforces the policy (unlike the other
    browser tests' default context)."""
    context = browser.new_context(**BASE_CONTEXT, bypass_csp=not enforce_csp)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    context.add_init_script(LISTEN)
    return context


def test_no_page_of_the_demo_crawl_violates_the_policy(browser, live_server):
    seed_demo()
    problems: list[str] = []
    visited = 0
    for email in ROLES:
        user = get_user_model().objects.get(email=email)
        client = Client()
        client.force_login(user)
        urls = [v.url for v in crawl(client) if v.status == 200 and v.html]
        context = signed_in_context(browser, live_server, user)
        page = context.new_page()
        if email == ROLES[0]:
            # The listener hears a violation when there is one (an inline style attribute).
            page.goto(live_server.url + "/", wait_until="load")
            page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"x:y\">')")
            page.wait_for_function("window.__cspViolations.length > 0")
        console: list[str] = []
        page.on(
            "console",
            lambda m, sink=console: (
                sink.append(m.text) if "Content Security Policy" in m.text else None
            ),
        )
        for url in urls:
            page.goto(live_server.url + url, wait_until="load")
            visited += 1
            for violation in page.evaluate("window.__cspViolations"):
                problems.append(f"{email} {url}: {violation}")
        problems += [f"{email}: console: {text}" for text in console]
        context.close()
    assert visited > 60
    assert not problems, "\n".join(sorted(set(problems)))


HOSTILE = '<img src="x" id="xss-img" onerror="window.__xss=1"><script>window.__xss=2</script>'


def test_stored_markup_never_runs_or_becomes_an_element(
    browser, live_server, pair, mentee, mentor, director
):
    """Planted directly in the database, as data saved before any validator would be."""
    from datetime import timedelta

    from django.utils import timezone

    from programs.models import AgendaItem, Concern, Meeting, NeedArea
    from tests.assessment_factories import draft

    NeedArea.objects.filter(slug="research").update(description=HOSTILE)
    type(mentee.profile).objects.filter(pk=mentee.profile.pk).update(bio=HOSTILE, location=HOSTILE)
    meeting = Meeting.objects.create(
        relationship=pair,
        starts_at=timezone.now() + timedelta(days=3),
        duration_minutes=60,
        time_zone="UTC",
        mode="in_person",
        location=HOSTILE,
        scheduled_by=mentee,
    )
    AgendaItem.objects.create(
        meeting=meeting, topic=HOSTILE, analysis=HOSTILE, added_by=mentee.profile
    )
    concern = Concern.objects.create(
        relationship=pair, raised_by=mentee.profile, category="other", text=HOSTILE
    )
    assessment = draft(mentee.profile)
    pages = {
        mentee: [f"/me/self-evaluation/{assessment.pk}/needs/", f"/meetings/{meeting.pk}/"],
        mentor: [f"/meetings/{meeting.pk}/", f"/people/{mentee.profile.pk}/"],
        director: [f"/concerns/{concern.pk}/"],
    }
    for user, urls in pages.items():
        # Without the policy's protection, so escaping alone is what is tested.
        context = signed_in_context(browser, live_server, user, enforce_csp=False)
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d, sink=dialogs: (sink.append(d.message), d.dismiss()))
        for url in urls:
            response = page.goto(live_server.url + url, wait_until="load")
            assert response.status == 200, url
            assert page.evaluate("window.__xss") is None, url
            assert page.locator("#xss-img").count() == 0, url
            # ...and the planted text is on the page, shown as the text it is.
            assert "window.__xss=2" in page.inner_text("body"), url
        assert not dialogs
        context.close()
