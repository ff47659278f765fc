from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from mentorship.health import healthz, readyz

# The Django admin has no sign-in form of its own: it sends people to allauth's, so the same
# throttles, two-factor challenge and session state apply to both doors.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("", include("mentorship.notifications.urls")),
    path("", include("matching.urls")),
    path("", include("programs.urls")),
    path("django-admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

# A database outage becomes a 503 outage page; other errors a 500 page that tells the truth.
handler500 = "mentorship.errors.server_error"

admin.site.site_header = f"{settings.SITE_NAME} — technical admin"
