from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("", include("mentorship.notifications.urls")),
    path("", include("matching.urls")),
    path("", include("programs.urls")),
    path("django-admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

# A database outage becomes a 503 outage page; other errors a 500 page that tells the truth.
handler500 = "mentorship.errors.server_error"

admin.site.site_header = f"{settings.SITE_NAME} — technical admin"
