"""Context builders for the notifications this app owns (digests live in services)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse

from mentorship.emails import absolute_url
from mentorship.notifications.kinds import Kind, register
from mentorship.notifications.models import Bounce, Notification

User = get_user_model()


@register(Kind.BOUNCE_ALERT)
def bounce_alert(n: Notification) -> dict[str, Any] | None:
    user_id = int(n.subject.split(":", 1)[1])
    bounce = Bounce.objects.filter(user_id=user_id, cleared_at__isnull=True).first()
    if bounce is None or n.program is None:
        return None
    person = User.objects.select_related("profile").get(pk=user_id)
    name = person.profile.display_name if hasattr(person, "profile") else person.email
    return {
        "bounce": bounce,
        "person_name": name,
        "email": bounce.email,
        "url": absolute_url(reverse("programs:bounces", args=[n.program_id])),
        "summary": f"Emails to {name} cannot be delivered",
    }


@register(Kind.RELAY_ALERT)
def relay_alert(n: Notification) -> dict[str, Any] | None:
    from mentorship.notifications.services import delivery_health

    health = delivery_health()
    if health.relay_ok:
        return None  # resumed before this could go out
    return {
        "reason": health.reason,
        "since": health.since,
        "waiting": health.waiting,
        "url": absolute_url(reverse("notifications:delivery")),
        "summary": "Email sending is paused",
    }
