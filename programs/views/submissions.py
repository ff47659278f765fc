"""One row per form, however many times it is sent.

`once_per_submission` wraps a view that creates something. The form carries a per-render token
(`{% csrf_token %}` adds it, see `templatetags/submissions.py`); the token is recorded in the same
transaction as the view's write, under a unique key. A second request with the same token — a
double-click, a back-button resubmit, a network retry — waits for the first to commit (the
unique index), finds it, and is sent where the first one led, writing and emailing nothing.
A request without a token (an old page, a script) is handled as before.

A browser does not always keep the token: pages with confidential content are `no-store`, so
pressing Back fetches the form again — with a new token — and the browser puts back what the
person typed. So a signed-in person's submission is also recognised by what it says: when their
latest submission to the same address, within `RESUBMIT_WINDOW`, carried exactly the same fields,
it is the same submission sent again. Only the latest counts, so an edit changed back and forth
is never mistaken for a resubmit."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from programs.models import FormSubmission
from programs.templatetags.submissions import SUBMISSION_FIELD

TOKEN = re.compile(r"^[0-9a-f]{32}$")
RESUBMIT_WINDOW = timedelta(minutes=30)
NOT_CONTENT = {"csrfmiddlewaretoken", SUBMISSION_FIELD}
View = Callable[..., HttpResponse]


def once_per_submission(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = request.POST.get(SUBMISSION_FIELD, "") if request.method == "POST" else ""
        if not TOKEN.match(token):
            return view(request, *args, **kwargs)
        user = request.user if request.user.is_authenticated else None
        fingerprint = _fingerprint(request) if user is not None else ""
        with transaction.atomic():
            earlier = _same_fields_just_sent(request, user, fingerprint)
            if earlier is not None:
                return _already_sent(request, earlier.token, user)
            try:
                with transaction.atomic():
                    FormSubmission.objects.create(
                        token=token, user=user, path=request.path[:300], fingerprint=fingerprint
                    )
            except IntegrityError:
                return _already_sent(request, token, user)
            response = view(request, *args, **kwargs)
            if response.status_code in (301, 302, 303) and not _to_reauthentication(response):
                FormSubmission.objects.filter(token=token).update(
                    result_url=response["Location"][:500]
                )
            elif not (request.headers.get("HX-Request") and response.status_code < 300):
                # Nothing was created: the form is shown again with its errors and what was
                # typed. Forget the token so a double-click shows the same, not a redirect.
                FormSubmission.objects.filter(token=token).delete()
        return response

    wrapper.once_per_submission = True  # type: ignore[attr-defined]
    return wrapper


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256(request.path.encode())
    for name in sorted(request.POST):
        if name not in NOT_CONTENT:
            for value in request.POST.getlist(name):
                digest.update(f"\0{name}\0{value}".encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"\0{name}\0{upload.name}\0{upload.size}".encode())
    return digest.hexdigest()


def _same_fields_just_sent(
    request: HttpRequest, user: Any, fingerprint: str
) -> FormSubmission | None:
    """This person's latest submission to this address, if it was these very fields, recently,
    and it led somewhere (it created or changed something)."""
    if not fingerprint:
        return None
    latest = (
        FormSubmission.objects.filter(
            user=user,
            path=request.path[:300],
            created_at__gte=timezone.now() - RESUBMIT_WINDOW,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is not None and latest.fingerprint == fingerprint and latest.result_url:
        return latest
    return None


def _to_reauthentication(response: HttpResponse) -> bool:
    # allauth asks for the password, then replays this very request (same token): let it.
    return response["Location"].startswith(reverse("account_reauthenticate"))


def _already_sent(request: HttpRequest, token: str, user: Any) -> HttpResponse:
    first = FormSubmission.objects.filter(token=token).first()
    if first is None or (first.user_id or None) != (user.pk if user else None):
        return redirect(request.path)
    if request.headers.get("HX-Request") and not first.result_url:
        return HttpResponse(status=204)  # htmx keeps what the first answer showed
    messages.info(request, "That was already sent once, so nothing was added twice.")
    return redirect(first.result_url or request.path)
