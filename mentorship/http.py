"""Request types for views, so the type checker knows what the middleware guarantees."""

from __future__ import annotations

from django.http import HttpRequest

from mentorship.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """What every view not marked `login_not_required` receives: `LoginRequiredMiddleware` has
    sent anyone not signed in to the sign-in page, so `user` is a real `User`."""

    user: User
