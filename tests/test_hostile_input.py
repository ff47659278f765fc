"""Hostile input, everywhere, found by itself: every page each role of the demo institution can
reach (tests/discovery.py walks the URLconf and follows links), every form on those pages and
every list filter, fed markup, formula prefixes, NUL and text-direction characters, 100,000
characters, extreme dates, and huge, negative and non-numeric ids.

For every submission: never a 500; a value no field may take is refused with that field's own
error, the form comes back with everything else the person typed; and when a value is accepted
it is never shown back unescaped. Each POST runs in a savepoint that is rolled back, so every
form meets the same demo data."""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import Client
from django.utils.html import escape

from programs.demo.institution import seed_demo
from tests.discovery import TEXT_KINDS, Field, Form, crawl, parse, post_routes

pytestmark = [pytest.mark.django_db, pytest.mark.crawl]

MARKUP = '<script>document.title="xss"</script><b onmouseover="alert(1)">Hi</b>'
LONG = "A" * 100_000
HUGE = "9" * 25


@dataclass(frozen=True)
class Payload:
    name: str
    value: str
    must_refuse: bool


TEXT = [
    # Some free text (self-evaluation reflections, a mentor's notes) keeps markup as literal
    # text; refused or not, it must never come back unescaped (checked on the next page too).
    Payload("markup", MARKUP, False),
    Payload("formula, bidi and NUL", '=HYPERLINK("http://evil")\u202e\x00', True),
    Payload("100,000 characters", LONG, True),
]
NUMBER = [
    Payload("huge", HUGE, True),
    Payload("negative", "-1", False),
    Payload("not a number", "12abc", True),
]
CHOICE = [
    Payload("huge id", HUGE, True),
    Payload("negative id", "-1", True),
    Payload("not an id", "abc<b>", True),
]
DATE = [
    Payload("year 9999", "9999-12-31", True),
    Payload("year 1", "0001-01-01", True),
    Payload("no such day", "2026-13-45", True),
]
TIME = [Payload("no such time", "25:99", True)]
HIDDEN_ID = [
    Payload("huge id", HUGE, False),
    Payload("negative id", "-1", False),
    Payload("not an id", "abc", False),
]
HIDDEN_TEXT = [Payload("markup", MARKUP, False)]
FILTER = [
    Payload("huge", HUGE, False),
    Payload("negative", "-1", False),
    Payload("not a number", "abc", False),
    Payload("markup", MARKUP, False),
    Payload("NUL and bidi", "a\x00b\u202ec", False),
    Payload("long", "x" * 5_000, False),
]

NOT_FUZZED = {"csrfmiddlewaretoken", "action", "next", "revision"}

# Views that accept a POST but whose form no role of the demo reaches, with why. Anything else
# that accepts a form must be reached, or the test fails naming it.
NOT_REACHED: dict[str, str] = {
    "people/<int:pk>/career/departures/<int:departure_pk>/": (
        "the same DepartureForm as departures/new/ (fuzzed there); shown only on the career "
        "record of someone who left, and the crawl opens one career record per pattern"
    ),
    "people/<int:pk>/career/departures/<int:departure_pk>/withdraw/": (
        "a button without fields beside a departure, as above"
    ),
    "invitations/<str:token>/": "the link is only in the invitation email, for a signed-out person",
    "notifications/unsubscribe/<str:token>/": "the link is only in emails (a signed token)",
    "me/self-evaluation/<int:pk>/<slug:slug>/autosave/": (
        "posted by the step page's script with the step form's own fields, which are fuzzed"
    ),
    "institution/roster/<int:pk>/confirm/": "follows a file upload (the crawl uploads no file)",
    "programs/<int:pk>/roster/<int:roster_pk>/confirm/": "follows a file upload",
    "concerns/<int:pk>/reopen/": (
        "only on a resolved concern; the crawl opens two concerns per pattern, open ones first"
    ),
    "programs/<int:pk>/matching/assign/": "appears once a mentee is picked in the type-ahead",
    "programs/<int:pk>/matching/runs/<int:run_pk>/control/<str:action>/": (
        "only on a stopped or failed match run; the demo's run finished"
    ),
    "programs/<int:pk>/matching/runs/<int:run_pk>/rerun/": "only on a published or stale run",
    "relationships/<int:pk>/alumni/": "only on a concluded relationship",
    "relationships/<int:pk>/keep-going/": "only on a relationship whose conclusion was proposed",
    "requests/<int:request_pk>/withdraw/": "only on a mentor request still waiting",
    "accounts/login/": "the sign-in form is for signed-out people (test_sign_in_doors, test_sso_*)",
    "accounts/sso/<slug:slug>/": "a signed-out person's way to their IdP (test_sso_oidc, _saml)",
    "accounts/sso/link/": "only in the middle of a first SSO sign-in (test_sso_oidc)",
    "accounts/sso/signed-out/idp/": "only right after signing out (test_sso_oidc, test_sso_saml)",
    "me/profile/photo/remove/": "only once a photo is uploaded; demo people have none",
    "meetings/<int:pk>/notes/autosave/": (
        "posted by autosave.js with the notes form's own fields, which are fuzzed"
    ),
    "meetings/<int:pk>/private-note/autosave/": (
        "posted by autosave.js with the private-note form's own fields, which are fuzzed"
    ),
    "programs/<int:pk>/matching/runs/<int:run_pk>/groups/<int:group>/facilitator/": (
        "only on a group proposal; the demo's runs are one-to-one (test_services_groups)"
    ),
    "programs/<int:pk>/training/<int:session_pk>/": (
        "the demo records no training sessions (test_training)"
    ),
    "programs/<int:pk>/training/<int:session_pk>/import/": (
        "follows a recorded training session and a file upload (test_training)"
    ),
}


def payloads_for(f: Field) -> list[Payload]:
    if f.name in NOT_FUZZED or f.kind == "password":
        return []
    if f.kind in TEXT_KINDS:
        return TEXT
    if f.kind == "number":
        return NUMBER
    if f.kind in ("select", "radio", "checkbox"):
        return CHOICE
    if f.kind == "date":
        return DATE
    if f.kind == "time":
        return TIME
    if f.kind == "hidden":
        return HIDDEN_ID if f.value.isdigit() else HIDDEN_TEXT
    return []


ROLES = {
    "admin": "admin@northbridge.example",
    "director": "director@northbridge.example",
    "research director": "research.director@northbridge.example",
    "mentee": "mentee@northbridge.example",
    "mentor": "mentor@northbridge.example",
    "outsider": "outsider@northbridge.example",
}


@pytest.fixture
def demo():
    """The demo institution, plus what puts the remaining forms on pages the crawl reaches: a
    self-evaluation draft for the mentee and the mentor, a new and a resolved concern, an
    agreement waiting for the mentee's confirmation, a pending invitation, a bouncing address,
    a request to join, a pair rule, and a failed program report and all-programs report."""
    seed_demo()
    _drafts()
    _states_that_show_more_forms()


def _drafts() -> None:
    from programs.models import FacultyProfile
    from programs.services.assessments import assessment_start_draft

    for email in (ROLES["mentee"], ROLES["mentor"]):
        person = FacultyProfile.objects.get(user__email=email)
        assessment_start_draft(person=person, by=person.user)


def _states_that_show_more_forms() -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from matching.services import pair_rule_set
    from mentorship.notifications.kinds import Kind
    from mentorship.notifications.models import Bounce, Notification, Status
    from programs.models import (
        ExportKind,
        FacultyProfile,
        Relationship,
        ReportExport,
    )
    from programs.selectors.relationships import agreement_state
    from programs.services.agreements import AGREEMENT_FIELDS, agreement_defaults, agreement_save
    from programs.services.concerns import concern_raise, concern_resolve
    from programs.services.invitations import faculty_invite
    from programs.services.joining import join_request_create
    from programs.services.reviews import instrument_copy, instrument_for

    users = get_user_model().objects
    mentee, mentor = (users.get(email=ROLES[r]) for r in ("mentee", "mentor"))
    director, admin = (users.get(email=ROLES[r]) for r in ("director", "admin"))
    pair = (
        Relationship.objects.filter(members__person__user=mentee, members__left_at__isnull=True)
        .filter(members__person__user=mentor)
        .order_by("pk")
        .first()
    )
    assert pair is not None, "the demo mentee and mentor work together"
    program = pair.program
    resolved = concern_raise(relationship=pair, category="other", text="Resolved.", by=mentee)
    concern_resolve(concern=resolved, resolution="Talked it through.", by=director)
    concern_raise(relationship=pair, category="other", text="No reply yet.", by=mentee)
    state = agreement_state(pair)
    data = (
        agreement_defaults(pair)
        if state.current is None
        else {f: getattr(state.current, f) for f in AGREEMENT_FIELDS}
    )
    data["review_on"] = max(data["review_on"], timezone.localdate() + timedelta(days=60))
    data["mentor_also"] = "Read the aims page before each meeting."
    agreement_save(relationship=pair, data=data, revision=state.revision, by=mentor)
    faculty_invite(email="new.colleague@northbridge.example", program=program, by=admin)
    Bounce.objects.create(email=mentee.email, user=mentee, code=550, message="No such user")
    outsider = FacultyProfile.objects.get(user__email=ROLES["outsider"])
    join_request_create(program=program, person=outsider, by=outsider.user)
    mentees = FacultyProfile.objects.filter(memberships__program=program).exclude(pk=mentee.pk)
    pair_rule_set(
        program=program,
        mentee=mentee.profile,
        mentor=mentees.exclude(pk=mentor.profile.pk).first() or mentor.profile,
        kind="forbid",
        note="Same lab.",
        by=director,
    )
    Notification.objects.create(
        recipient=mentee,
        kind=Kind.ACCOUNT,
        subject="account",
        cycle="hostile",
        due_at=timezone.now(),
        status=Status.FAILED,
        last_error="550 No such user",
    )
    instrument_copy(instrument=instrument_for(program), program=program, by=director)
    ReportExport.objects.create(  # the admin's all-programs report, failed: Try again
        institution=program.institution,
        kind=ExportKind.INSTITUTION_REPORT,
        requested_by=admin,
        format="pdf",
        period_start=timezone.localdate().replace(day=1),
        period_end=timezone.localdate(),
        status="failed",
        error="The worker stopped.",
    )
    ReportExport.objects.create(
        program=program,
        requested_by=director,
        format="csv",
        period_start=timezone.localdate().replace(day=1),
        period_end=timezone.localdate(),
        status="failed",
        error="The worker stopped.",
    )


def client_as(email: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(email=email))
    return client


def post_in_savepoint(client: Client, url: str, data: dict[str, list[str]]):
    with transaction.atomic():
        response = client.post(url, data)
        transaction.set_rollback(True)
    return response


def error_shown_for(html: str, f: Field) -> bool:
    """The field's own error: Django's error list for it (`<id>_error`), or the error summary's
    link to it."""
    base = re.sub(r"_\d+$", "", f.id) if f.kind in ("radio", "checkbox") else f.id
    return bool(base and (f'id="{base}_error"' in html or f'href="#{f.id}"' in html))


def same_form(forms: list[Form], form: Form) -> Form | None:
    """The form shown again: same action and the same fields (a page may hold several forms
    posting to one URL, e.g. one-click "add to agenda" buttons next to the full form)."""
    names = {(f.name, f.kind) for f in form.fields}
    candidates = [c for c in forms if c.route == form.route]
    for candidate in candidates:
        if {(f.name, f.kind) for f in candidate.fields} == names:
            return candidate
    return candidates[0] if candidates else None


def kept(expected: str, f: Field) -> bool:
    def norm(v: str) -> str:
        return v.replace("\r\n", "\n").strip()

    if f.kind == "select":
        return norm(expected) in [norm(v) for v in f.selected]
    return norm(f.value) == norm(expected)


def check_submission(
    client: Client, role: str, form: Form, target: Field, payload: Payload
) -> list[str]:
    data = form.baseline()
    data[target.name] = [payload.value]
    response = post_in_savepoint(client, form.action, data)
    where = f"{role} → POST {urlsplit(form.action).path} [{target.name} = {payload.name}]"
    status = response.status_code
    if status >= 500:
        return [f"{where}: {status}"]
    html = (
        response.content.decode(errors="replace")
        if "html" in response.get("Content-Type", "")
        else ""
    )
    problems = []
    if payload.value == MARKUP and MARKUP in html:
        problems.append(f"{where}: the markup is shown unescaped")
    if status in (301, 302, 303):
        if payload.must_refuse and target.kind != "hidden":
            problems.append(f"{where}: accepted ({status} to {response['Location']})")
        elif payload.value == MARKUP:
            with transaction.atomic():
                client.post(form.action, data)
                shown = client.get(response["Location"]).content.decode(errors="replace")
                transaction.set_rollback(True)
            if MARKUP in shown:
                problems.append(f"{where}: accepted and shown unescaped")
        return problems
    if status not in (200, 400, 409, 422) or not payload.must_refuse:
        return problems
    if not error_shown_for(html, target):
        problems.append(f"{where}: no error next to the field")
        return problems
    again = same_form(parse(form.page, html).forms, form)
    if again is None:
        problems.append(f"{where}: the form is not shown again")
        return problems
    fields_again = {f.name: f for f in again.fields}
    for other in form.visible():
        if other.name == target.name or other.kind not in TEXT_KINDS | {"select", "date"}:
            continue
        value = (data.get(other.name) or [""])[0]
        if value and other.name in fields_again and not kept(value, fields_again[other.name]):
            problems.append(f"{where}: lost what was typed in “{other.name}”")
    if target.kind in TEXT_KINDS and payload.value != LONG:
        shown = fields_again.get(target.name)
        typed = (payload.value, payload.value.replace("\x00", ""))
        if shown is not None and not any(kept(value, shown) for value in typed):
            problems.append(f"{where}: the refused text itself is not shown back")
    return problems


def check_filters(client: Client, role: str, form: Form) -> list[str]:
    problems = []
    for f in form.visible():
        for payload in FILTER:
            response = client.get(form.action, {**form_get_baseline(form), f.name: payload.value})
            where = f"{role} → GET {urlsplit(form.action).path}?{f.name}={payload.name}"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
            elif payload.value == MARKUP and MARKUP in response.content.decode(errors="replace"):
                problems.append(f"{where}: the markup is shown unescaped")
    return problems


def form_get_baseline(form: Form) -> dict[str, str]:
    return {k: v[0] for k, v in form.baseline().items() if v}


@pytest.fixture
def errors():
    """The exceptions behind any 500, so a failure names its cause."""
    seen: list[str] = []

    def record(sender, request, **kwargs):
        exc = sys.exc_info()[1]
        seen.append(f"{request.method} {request.path}: {type(exc).__name__}: {exc}"[:300])

    got_request_exception.connect(record)
    yield seen
    got_request_exception.disconnect(record)


def test_no_input_anywhere_reaches_a_500_or_loses_what_was_typed(demo, errors):
    started = time.monotonic()
    problems: list[str] = []
    pages = forms_checked = filters_checked = submissions = 0
    # Every role that reaches a form feeds it every payload: a form may validate, show or
    # keep what was typed differently for a director than for a member.
    done: set[tuple[str, str, str, tuple[str, ...]]] = set()
    reached: set[str] = set()
    for role, email in ROLES.items():
        client = client_as(email)
        for visit in crawl(client, per_route=2):
            pages += 1
            if visit.status >= 500:
                problems.append(f"{role} → GET {visit.url}: {visit.status}")
                continue
            # An id no database column can hold, in the page's own URL.
            if re.search(r"/\d+/", visit.url):
                huge = re.sub(r"/\d+/", f"/{HUGE}/", visit.url, count=1)
                if client.get(huge).status_code >= 500:
                    problems.append(f"{role} → GET {huge}: 500")
            for form in visit.forms:
                key = (role, form.method, form.route, tuple(sorted(f.name for f in form.fields)))
                if key in done or not urlsplit(form.action).path.startswith("/"):
                    continue
                done.add(key)
                if form.method == "post":
                    reached.add(form.route)
                if form.method == "get":
                    if form.visible():
                        filters_checked += 1
                        problems += check_filters(client, role, form)
                    continue
                if form.route.startswith("accounts/logout"):
                    continue
                forms_checked += 1
                for target in form.visible() + [
                    f for f in form.fields if f.kind == "hidden" and f.name not in NOT_FUZZED
                ]:
                    for payload in payloads_for(target):
                        submissions += 1
                        problems += check_submission(client, role, form, target, payload)
    elapsed = time.monotonic() - started
    print("\nforms:", "\n  ".join(sorted({f"{m.upper()} {r} ({role})" for role, m, r, _ in done})))
    print(
        f"\nhostile input: {pages} pages, {forms_checked} forms, {filters_checked} filter forms, "
        f"{submissions} submissions in {elapsed:.0f} s"
    )
    unreached = sorted(post_routes() - reached - set(NOT_REACHED))
    assert not unreached, (
        "Views that accept a form but whose form no role of the demo reaches (link to it from a "
        "page, give the demo the data that shows it, or list it in NOT_REACHED with why):\n"
        + "\n".join(unreached)
    )
    assert forms_checked > 30, "the crawl found too few forms"
    assert filters_checked >= 4, "the crawl found too few list filters"
    unique = sorted(set(problems))
    causes = sorted(set(errors))
    assert not unique, (
        f"{len(unique)} problems:\n" + "\n".join(unique[:150]) + "\n\nCauses:\n" + "\n".join(causes)
    )


def test_error_detection_is_not_fooled_by_an_escaped_echo():
    """The checks above rely on these helpers; a quick sanity test of them."""
    field = Field(name="location", kind="text", id="meeting_location")
    assert error_shown_for('<ul class="errorlist" id="meeting_location_error">', field)
    assert not error_shown_for(escape(MARKUP), field)
