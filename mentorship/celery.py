"""The Celery app. Tasks live in each app's `tasks.py` and are found by autodiscovery."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings.local")

app = Celery("mentorship")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _load_matching_solvers(**_kwargs) -> None:
    """Each worker process loads the compiled matching solvers before its first task, so a
    director's first proposal after a restart does not wait for numba (issue 12)."""
    from matching.engine.warmup import warm_up

    warm_up()
