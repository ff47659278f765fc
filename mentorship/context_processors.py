"""Template context every page needs: the viewer's roles for the navigation."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def navigation(request: HttpRequest) -> dict[str, object]:
    from mentorship.notifications.selectors import unread_count
    from programs.access import roles_for

    return {
        "roles": SimpleLazyObject(lambda: roles_for(request.user)),
        "site_name": settings.SITE_NAME,
        # Lazy: one COUNT query, only on pages that draw the header for a signed-in person.
        "unread_notifications": SimpleLazyObject(
            lambda: unread_count(request.user) if request.user.is_authenticated else 0
        ),
    }
