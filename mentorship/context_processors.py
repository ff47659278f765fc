"""Template context every page needs: the viewer's roles for the navigation."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def navigation(request: HttpRequest) -> dict[str, object]:
    from programs.access import roles_for

    return {
        "roles": SimpleLazyObject(lambda: roles_for(request.user)),
        "site_name": settings.SITE_NAME,
    }
