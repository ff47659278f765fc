"""Every form that creates something is idempotent, found by itself: each role of the demo
institution walks the app (tests/discovery.py: the URLconf's pages, then every link), and every
POST form found is filled in and sent. A form whose first submission creates rows (anything a
person made, or an email in the ledger) is a create form; it is then sent again with the same
per-form submission token, as a back-button resubmit (after reading the result page) and as a
double-click, and must create nothing more, each time landing where the first one led.

A new create view without the token, or one whose form no role reaches, fails here. Each form
is tried in a savepoint that is rolled back, so every form meets the same demo data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone

from programs.demo.institution import DEMO_PASSWORD
from tests.discovery import Form, crawl
from tests.programs.test_views_submissions import create_routes
from tests.test_hostile_input import ROLES, client_as, demo  # noqa: F401  (the demo fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.crawl]

# Rows that are bookkeeping, not something made: the audit trail (a page view may add to it)
# and the submission tokens themselves.
NOT_MADE = {"programs.auditevent", "programs.formsubmission"}
APPS = ("programs", "matching", "notifications", "accounts", "account", "mfa")

# Create routes (by name or path, see test_views_submissions) whose form the walk does not fill
# in validly and send, with why. Each must still consume the submission token
# (test_views_submissions checks the decorator); a form that leaves this list is tested here.
NOT_DOUBLE_SUBMITTED = {
    "programs/<int:pk>/matching/assign/": "the form appears once a mentee is picked; "
    "test_views_submissions double-submits one",
    "programs/<int:pk>/reports/export/": "allauth asks for the password again on its own page and "
    "then replays the request; test_views_submissions double-submits one after it",
    "institution/reports/export/": "allauth asks for the password again on its own page and "
    "then replays the request; test_views_institution_reports double-submits one after it",
    "programs/<int:pk>/training/recognition/": "the generic filling makes no valid award; "
    "test_views_submissions double-submits one",
    "programs/<int:pk>/matching/rules/": "needs a mentee and a different mentor chosen; "
    "test_views_submissions double-submits one",
    "programs/<int:pk>/reviews/instruments/new/": "needs questions written in its own format; "
    "test_views_submissions double-submits one",
}

ENDS = re.compile(r"(^|_)(ends?|until)(_|$)")

ROSTER = (
    b"email,given_name,family_name,department,rank,stream\n"
    b"double.submit@northbridge.example,Dana,Double,Medicine,Assistant professor,Clinician-teacher\n"
)


def counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in APPS and model._meta.label_lower not in NOT_MADE
    }


def made(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after if after[k] > before.get(k, 0)}


def fillings(form: Form) -> Iterator[dict[str, object]]:
    """What a person would type into the empty fields: dates ahead (a meeting) or behind (a
    check-in, a note about a conversation held)."""
    today = timezone.localdate()
    for days in (14, -3):
        data: dict[str, object] = {k: list(v) for k, v in form.baseline().items()}
        boxes: dict[str, list[str]] = {}
        for f in form.fields:
            if f.kind == "checkbox" and not f.disabled:
                boxes.setdefault(f.name, []).append(f.value)
        for name, values in boxes.items():  # a group of choices with none ticked: the first
            if len(values) > 1 and name not in data:
                data[name] = values[:1]
        for f in form.fields:
            if f.disabled or (data.get(f.name) and data[f.name] != [""]):
                continue
            value = {
                "text": "Double submit check",
                "textarea": "Double submit check",
                "search": "",
                "email": "double.submit@northbridge.example",
                "url": "https://example.org/",
                "tel": "555 0100",
                "number": "1",
                # An end comes after its start (a cohort's ends_on, a pilot's until).
                "date": (
                    today + timedelta(days=days + (30 if ENDS.search(f.name) else 0))
                ).isoformat(),
                "password": DEMO_PASSWORD,  # asked again before an export
                "time": "10:00" if re.search(r"end", f.name) else "09:00",
                "datetime-local": f"{(today + timedelta(days=days)).isoformat()}T09:00",
            }.get(f.kind)
            if value is not None:
                data[f.name] = [value]
            elif f.kind == "file":
                data[f.name] = SimpleUploadedFile("roster.csv", ROSTER, content_type="text/csv")
        yield data


def redirected(response) -> bool:
    return response.status_code in (301, 302, 303)


def double_submit(client: Client, role: str, form: Form) -> list[str] | None:
    """None when this form created nothing (not a create form, or not filled in validly);
    otherwise the problems found."""
    where = f"{role} → POST {urlsplit(form.action).path}"
    for data in fillings(form):
        with transaction.atomic():
            before = counts()
            first = client.post(form.action, data)
            created = made(before, counts()) if redirected(first) else {}
            if not created:
                transaction.set_rollback(True)
                continue
            problems = []
            if "_submission" not in data:
                problems.append(f"{where}: the form carries no submission token")
            for upload in data.values():
                if isinstance(upload, SimpleUploadedFile):
                    upload.seek(0)
            client.get(first["Location"])  # the result page is read, then Back is pressed
            seen = counts()
            back = client.post(form.action, data)
            for upload in data.values():
                if isinstance(upload, SimpleUploadedFile):
                    upload.seek(0)
            again = client.post(form.action, data)  # a double-click
            more = made(seen, counts())
            transaction.set_rollback(True)
        if more:
            problems.append(f"{where}: created {created}, and again {more}")
        for name, response in (("back-button resubmit", back), ("double-click", again)):
            if not redirected(response) or response["Location"] != first["Location"]:
                problems.append(
                    f"{where}: the {name} answered {response.status_code} "
                    f"{response.get('Location', '')}, not where the first led ({first['Location']})"
                )
        return problems
    return None


def test_every_form_that_creates_something_creates_it_once(demo):  # noqa: F811
    wanted = {path for _, path, _ in create_routes()}
    problems: list[str] = []
    tried: set[tuple[str, str, tuple[str, ...]]] = set()
    creating: dict[str, str] = {}
    for role, email in ROLES.items():
        client = client_as(email)
        for visit in crawl(client):
            for form in visit.forms:
                key = (form.method, form.route, tuple(sorted(f.name for f in form.fields)))
                if form.method != "post" or key in tried or form.route in creating:
                    continue
                if form.route.startswith("accounts/"):
                    continue  # signing out, passwords, authenticators: no rows made
                tried.add(key)
                found = double_submit(client, role, form)
                if found is not None:
                    creating[form.route] = role
                    problems += found
    print("\ncreate forms double-submitted:\n  " + "\n  ".join(sorted(creating)))
    assert not problems, "\n".join(problems)
    untested = sorted(wanted - set(creating) - set(NOT_DOUBLE_SUBMITTED))
    assert not untested, (
        "Create forms that no role could fill in and send twice (give the demo what shows "
        "the form, or list it in NOT_DOUBLE_SUBMITTED with why):\n" + "\n".join(untested)
    )
    assert len(creating) >= 20
