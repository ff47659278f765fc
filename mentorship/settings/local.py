"""The embedded local run: SQLite, filesystem broker, console email, relaxed MFA for the demo."""

from mentorship.settings.base import *  # noqa: F403
from mentorship.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
MENTORSHIP_REQUIRE_MFA_FOR_STAFF = env.bool("MENTORSHIP_REQUIRE_MFA_FOR_STAFF", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
