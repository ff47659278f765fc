"""The web side of background jobs: the Stop and Try again buttons every job page has."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest


def job_control(
    request: HttpRequest, action: str, controls: Mapping[str, tuple[Callable[[], object], str]]
) -> None:
    """Run the service the button names and say it worked, or show why it was refused (the job
    finished meanwhile); an action the page has no button for is not found."""
    if action not in controls:
        raise Http404
    service, done = controls[action]
    try:
        service()
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, done)
