from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from programs.views import home, invitations, people


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("invitations/<str:token>/", invitations.invitation_accept_view, name="invitation_accept"),
    path("me/profile/", people.profile_edit, name="profile_edit"),
    path("", include("programs.urls_assessments")),
    path("people/<int:pk>/", people.profile_detail, name="profile_detail"),
    path("programs/", include("programs.urls")),
    path("", include("mentorship.notifications.urls")),
    path("", include("matching.urls")),
    path("institution/", include("programs.urls_institution")),
    path("", include("programs.urls_relationships")),
    path("", include("programs.urls_reviews")),
    path("django-admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

admin.site.site_header = f"{settings.SITE_NAME} — technical admin"
