"""The Celery app. Tasks live in each app's `tasks.py` and are found by autodiscovery."""

import contextvars
import logging.config
import os
from typing import Any

from celery import Celery, signals

from mentorship.log import request_id_var, task_id_var

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


@signals.setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """The worker and beat log through Django's LOGGING (one format with the web), not Celery's."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def send_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """A task queued while serving a request carries that request's id to the worker."""
    request_id = request_id_var.get()
    if headers is not None and request_id:
        headers.setdefault("request_id", request_id)


# Tokens to restore when a task ends: an eager task (tests, `CELERY_TASK_ALWAYS_EAGER`) runs inside
# the request that queued it, which must get its own ids back.
_bound: dict[str, list[contextvars.Token[str | None]]] = {}


@signals.task_prerun.connect
def bind_task_context(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    tokens = [task_id_var.set(task_id)]
    request_id = getattr(getattr(task, "request", None), "request_id", None)
    if request_id:
        tokens.append(request_id_var.set(str(request_id)))
    _bound[task_id] = tokens


@signals.task_postrun.connect
def unbind_task_context(task_id: str = "", **kwargs: Any) -> None:
    for token in reversed(_bound.pop(task_id, [])):
        token.var.reset(token)


@signals.worker_process_init.connect
def load_matching_solvers(**kwargs: Any) -> None:
    """Each worker process loads the compiled matching solvers before its first task, so a
    director's first proposal after a restart does not wait for numba (issue 12)."""
    from matching.engine.warmup import warm_up

    warm_up()
