"""Test settings: the database and broker still come from the environment (CI uses PostgreSQL
and Redis); everything else is made fast and deterministic."""

from mentorship.log import logging_config
from mentorship.settings.base import *  # noqa: F403
from mentorship.settings.base import env

DEBUG = False
# django-zeal patches the ORM to spot N+1 queries; it reports only inside `zeal_context()`,
# which the whole-app crawls open around each page (tests/discovery.py).
INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# pytest-django swaps in the locmem backend for the test process; a real worker started by the
# service tests keeps the EMAIL_URL it is given (a file sink), so tests can read what it sent.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MENTORSHIP_REQUIRE_MFA_FOR_STAFF = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SITE_URL = env("SITE_URL", default="http://testserver")
# Pages are measured uncached (query counts); the caching has its own test.
MENTORSHIP_DASHBOARD_CACHE_SECONDS = env.int("MENTORSHIP_DASHBOARD_CACHE_SECONDS", default=0)
# Each test reads its own rows (ids repeat across tests); the sharing has its own test.
MENTORSHIP_REPORT_SHARE_SECONDS = env.int("MENTORSHIP_REPORT_SHARE_SECONDS", default=0)
# The project's format, quiet by default; a worker started by the service tests may ask for INFO.
LOGGING = logging_config(
    log_format=env("LOG_FORMAT", default="text"), level=env("LOG_LEVEL", default="WARNING")
)
# Email templates for the test-only notification kind used by the ledger's own tests.
for _engine in TEMPLATES:  # noqa: F405
    _engine["DIRS"] = [*_engine["DIRS"], BASE_DIR / "tests" / "templates"]  # type: ignore[misc]  # noqa: F405
