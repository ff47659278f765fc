"""Settings shared by every mode, read from environment variables with safe local defaults."""

from __future__ import annotations

from pathlib import Path

import environ

from mentorship.log import logging_config
from mentorship.site_url import site_url_from

BASE_DIR = Path(__file__).resolve().parent.parent.parent
RUN_DIR = BASE_DIR / ".run"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me-in-production-0000"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The public address used in emails, calendar feeds and review links sent by background workers,
# which have no request to derive it from (see mentorship.site_url). `./dev run` sets SITE_URL
# from the port it serves on; production derives it from the allowed hosts when it is unset.
SITE_URL = site_url_from(
    env("SITE_URL", default=""), allowed_hosts=["127.0.0.1:8000"], scheme="http"
)
SITE_NAME = env("SITE_NAME", default="Mentorship")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "mentorship.accounts",
    "mentorship.notifications",
    "programs",
    "matching",
]

MIDDLEWARE = [
    "mentorship.log.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mentorship.middleware.BoundedPathIdsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mentorship.middleware.UserTimezoneMiddleware",
    "mentorship.middleware.RequireMfaMiddleware",
    "mentorship.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "mentorship.urls"
WSGI_APPLICATION = "mentorship.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mentorship.context_processors.navigation",
            ],
            # `{% csrf_token %}` also renders a per-form submission token (idempotent forms).
            "builtins": ["programs.templatetags.submissions"],
        },
    },
    {
        # Plain-text emails must not be HTML-escaped ("Tuesday's" stays "Tuesday's").
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]
FORM_RENDERER = "mentorship.forms.AccessibleFormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{RUN_DIR / 'mentorship.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)

# After this many seconds the matching solver stops proving its proposal optimal and hands the
# director the best proposal found so far, with a warning saying so.
MATCHING_TIME_LIMIT_SECONDS = env.float("MATCHING_TIME_LIMIT_SECONDS", default=300)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded run has a web process and a worker writing the same file.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# PostgreSQL's JIT compiler pays off for long analytical queries, not for a web app's short
# ones: on the directors' dashboard (a few correlated subqueries over thousands of rows) it
# spent ~150 ms compiling a query that runs in 30 ms. Turned off per connection.
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql") and not env.bool(
    "DATABASE_PG_JIT", default=False
):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# --- django-allauth -------------------------------------------------------------------------
ACCOUNT_ADAPTER = "mentorship.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "mentorship.accounts.forms.InstitutionalSignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "mentorship.accounts.signup_names.SignupNameForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_MAX_EMAIL_ADDRESSES = 2
ACCOUNT_REAUTHENTICATION_TIMEOUT = 10 * 60
# allauth's defaults (5 failed logins per 5 minutes per account, 10/min per IP) stay on;
# we only make them explicit so a reader sees them.
# Keys are the real client address (see ALLAUTH_TRUSTED_PROXY_COUNT) and the account, so one
# person's wrong passwords neither lock out everyone behind the same proxy nor go uncounted.
# Every door to a session is throttled: the sign-in form (also the Django admin's, which sends
# people there), password reset (request and link) and invitation acceptance.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "accept_invitation": "20/m/ip,5/300s/key",
}
# Client addresses: behind N reverse proxies that each append to X-Forwarded-For, the client is
# the Nth address from the right (allauth reads these; the throttles key on the result). 0 trusts
# no header and uses the socket's address, which behind a proxy is the proxy's. A proxy that sets
# its own header (e.g. X-Real-IP) may be named instead; never both, and never a header clients
# can set themselves.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("MENTORSHIP_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("MENTORSHIP_TRUSTED_CLIENT_IP_HEADER", default=None)
# Sign-up is open only to these institutional email domains; everyone else needs an invitation.
# Domains also come from each Institution's own list in the database.
MENTORSHIP_SIGNUP_DOMAINS = env.list("MENTORSHIP_SIGNUP_DOMAINS", default=[])

# --- Single sign-on (SAML 2.0 and OpenID Connect) ---------------------------------------------
# Each institution's identity provider is configured by its admin in the app
# (`programs.models.IdentityProvider`); the adapter hands allauth one app per enabled provider, so
# nothing about an IdP lives in settings. Accounts are created just in time from the assertion;
# an address that already has a password account is linked only after its password is given too
# (`accounts.sso_link`), never silently by email.
SOCIALACCOUNT_ADAPTER = "mentorship.accounts.social.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
# allauth's SAML provider, also keeping the asserted authentication context (two-factor rule) and
# the NameID and session index (signing out at the IdP).
SOCIALACCOUNT_PROVIDERS = {
    "saml": {"provider_class": "mentorship.accounts.social.InstitutionSAMLProvider"}
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# Program directors and institution admins must enrol TOTP before using the app. The local demo
# relaxes this so its logins work at once.
MENTORSHIP_REQUIRE_MFA_FOR_STAFF = env.bool("MENTORSHIP_REQUIRE_MFA_FOR_STAFF", default=True)

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <mentorship@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# The send ledger's retries (seconds). A transient failure is retried with exponential backoff and
# jitter (base × 2^n, capped) for the lifetime — three days, as mail servers queue — before the
# email becomes a visible failure an admin can retry. While the relay is unreachable one worker
# probes it per interval; after it refused our sender or messages, a slower probe.
MENTORSHIP_EMAIL_RETRY_LIFETIME = env.int("MENTORSHIP_EMAIL_RETRY_LIFETIME", default=3 * 24 * 3600)
MENTORSHIP_EMAIL_RETRY_BASE = env.int("MENTORSHIP_EMAIL_RETRY_BASE", default=60)
MENTORSHIP_EMAIL_RETRY_CAP = env.int("MENTORSHIP_EMAIL_RETRY_CAP", default=3600)
MENTORSHIP_EMAIL_PROBE_INTERVAL = env.int("MENTORSHIP_EMAIL_PROBE_INTERVAL", default=60)
MENTORSHIP_EMAIL_PAUSED_PROBE_INTERVAL = env.int(
    "MENTORSHIP_EMAIL_PAUSED_PROBE_INTERVAL", default=15 * 60
)
# A row 'sending' for longer than this belongs to a worker that died mid-send.
MENTORSHIP_EMAIL_CLAIM_TIMEOUT = env.int(
    "MENTORSHIP_EMAIL_CLAIM_TIMEOUT", default=3 * EMAIL_TIMEOUT + 60
)

# --- Celery ---------------------------------------------------------------------------------
# With no broker configured the embedded run uses kombu's filesystem transport, so a worker and
# the beat scheduler still run periodic tasks with nothing but Python installed.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = RUN_DIR / "broker"
    # kombu's filesystem transport does not create its folders.
    for _folder in (_broker_dir, RUN_DIR / "broker-processed", RUN_DIR / "broker-control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(RUN_DIR / "broker-processed"),
        "control_folder": str(RUN_DIR / "broker-control"),
        "store_processed": False,
    }
else:
    # Longer than any task may run (see CELERY_TASK_TIME_LIMIT), so Redis never redelivers a
    # task that is still running on a healthy worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 60 * 60 * 2,
        # Fail fast when Redis is down so a web request never hangs on it.
        "socket_connect_timeout": 1,
        "socket_timeout": 5,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Background jobs (exports, match runs): a running job's worker beats every HEARTBEAT seconds;
# no beat for STALE seconds means the worker died (the job starts again, three times at most);
# a job queued REQUEUE seconds ago and not started is queued again, until MAX_WAIT.
MENTORSHIP_JOB_HEARTBEAT_SECONDS = env.int("MENTORSHIP_JOB_HEARTBEAT_SECONDS", default=20)
MENTORSHIP_JOB_STALE_SECONDS = env.int("MENTORSHIP_JOB_STALE_SECONDS", default=120)
MENTORSHIP_JOB_REQUEUE_SECONDS = env.int("MENTORSHIP_JOB_REQUEUE_SECONDS", default=120)
MENTORSHIP_JOB_MAX_WAIT_SECONDS = env.int("MENTORSHIP_JOB_MAX_WAIT_SECONDS", default=24 * 3600)
MENTORSHIP_JOB_MAX_STARTS = 3
# A report's rows, once read by a worker, serve the other format of the same report asked for
# within this time (the PDF, then the Excel): read from the database once. 0: never shared.
MENTORSHIP_REPORT_SHARE_SECONDS = env.int("MENTORSHIP_REPORT_SHARE_SECONDS", default=300)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Tests that start a real worker give it a queue of its own, so nothing else can take its tasks.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Deliveries go to "<default>-email" (see mentorship.celery.route), so thousands of them never
# delay the periodic sweeps and jobs on the default queue. Workers must consume both.
CELERY_TASK_ROUTES = ("mentorship.celery.route",)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 30
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 25
CELERY_TIMEZONE = "UTC"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "deliver-pending-notifications": {
        "task": "mentorship.notifications.tasks.sweep_pending",
        "schedule": 60,
    },
    "plan-digests": {
        "task": "mentorship.notifications.tasks.plan_digests",
        "schedule": 15 * 60,
    },
    "expire-mentor-requests": {
        "task": "matching.tasks.expire_requests",
        "schedule": 60 * 60,
    },
    # Reminders, review requests and chases are derived from the database each time, so a
    # missed run (Redis down, beat restarted) loses nothing; the ledger's key makes a repeated
    # or concurrent run harmless.
    # Report exports and match runs that nobody picked up, or whose worker died.
    "sweep-report-exports": {
        "task": "programs.tasks.sweep_report_exports",
        "schedule": 60,
    },
    "sweep-match-runs": {
        "task": "matching.tasks.sweep_match_runs",
        "schedule": 60,
    },
    "sweep-due-work": {
        "task": "programs.tasks.sweep_due_work",
        "schedule": 5 * 60,
    },
    # Report exports and roster uploads hold personal data: kept MENTORSHIP_FILE_RETENTION_DAYS.
    "purge-expired-files": {
        "task": "programs.tasks.purge_expired_files",
        "schedule": 6 * 60 * 60,
    },
    # Identity providers roll their signing certificates: metadata re-read, admins warned.
    "sweep-identity-providers": {
        "task": "programs.tasks.sweep_identity_providers",
        "schedule": 24 * 60 * 60,
    },
    # Consumed form-submission tokens, kept MENTORSHIP_SUBMISSION_TOKEN_DAYS (double submits).
    "purge-submission-tokens": {
        "task": "programs.tasks.purge_submission_tokens",
        "schedule": 6 * 60 * 60,
    },
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=RUN_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The directors' dashboard is cached this many seconds per program and viewer (0 = never).
MENTORSHIP_DASHBOARD_CACHE_SECONDS = env.int("MENTORSHIP_DASHBOARD_CACHE_SECONDS", default=60)

# --- Uploads --------------------------------------------------------------------------------
# Roster files are the only uploads. Anything over the limit is refused by the first handler
# before it is stored; small files stay in memory, larger ones go to a temporary file.
# Report exports and roster uploads are deleted this many days after they were made.
MENTORSHIP_FILE_RETENTION_DAYS = env.int("MENTORSHIP_FILE_RETENTION_DAYS", default=30)
# A form's submission token (one row per create form sent) is kept this many days, so a
# back-button resubmit or a retry within that time still lands on what the first one made.
MENTORSHIP_SUBMISSION_TOKEN_DAYS = env.int("MENTORSHIP_SUBMISSION_TOKEN_DAYS", default=7)
MENTORSHIP_MAX_UPLOAD_BYTES = env.int("MENTORSHIP_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "mentorship.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Ordinary form posts (not files) never need more than this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts and styles come only from our static files: no inline script, no style="" attribute,
# no eval. Images may be data: URIs (allauth's TOTP QR code). Nobody may frame any page.
MENTORSHIP_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

# Error reporting (Sentry-compatible) is off unless a DSN is set; see mentorship/reporting.py.
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="production")
if SENTRY_DSN:
    from mentorship.reporting import init_error_reporting

    init_error_reporting(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)

# One format for web, worker and beat, with the request and task ids (mentorship/log.py);
# LOG_FORMAT=json for a log collector.
LOGGING = logging_config(
    log_format=env("LOG_FORMAT", default="text"), level=env("LOG_LEVEL", default="INFO")
)
