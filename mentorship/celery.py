"""The Celery app. Tasks live in each app's `tasks.py` and are found by autodiscovery."""

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings.local")

app = Celery("mentorship")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

EMAIL_TASKS = frozenset({"mentorship.notifications.tasks.deliver"})


def email_queue() -> str:
    return f"{app.conf.task_default_queue}-email"


def route(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    """Deliveries on their own queue, everything else (sweeps, exports, match runs) on the
    default one: a batch of thousands of emails never delays a sweep."""
    if name in EMAIL_TASKS:
        return {"queue": email_queue()}
    return None
