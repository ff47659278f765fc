"""Production: no DEBUG, secrets and hosts from the environment, HTTPS everywhere, SMTP email,
TOTP required for directors and admins, a cache shared by all web processes."""

from django.core.exceptions import ImproperlyConfigured

from mentorship.settings.base import *  # noqa: F403
from mentorship.settings.base import env
from mentorship.site_url import site_url_from

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a long random value in production.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
SITE_URL = site_url_from(env("SITE_URL", default=""), allowed_hosts=ALLOWED_HOSTS)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# The container health check and an orchestrator's probes call /healthz and /readyz over plain
# HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

# A database cache is shared by every gunicorn worker (allauth's login throttles need that) and,
# unlike a Redis cache, keeps pages working when Redis is down.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://mentorship_cache")}
MENTORSHIP_REQUIRE_MFA_FOR_STAFF = env.bool("MENTORSHIP_REQUIRE_MFA_FOR_STAFF", default=True)

# Production mail goes through SMTP, e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.org:587
EMAIL_CONFIG = env.email_url("EMAIL_URL")
vars().update(EMAIL_CONFIG)
