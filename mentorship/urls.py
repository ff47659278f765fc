from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from mentorship.health import healthz, readyz

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("", include("mentorship.notifications.urls")),
    path("", include("matching.urls")),
    path("", include("programs.urls")),
    path("django-admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

admin.site.site_header = f"{settings.SITE_NAME} — technical admin"
