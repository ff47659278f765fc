from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from mentorship.accounts import sso_views
from mentorship.health import healthz, readyz

# The Django admin has no sign-in form of its own: it sends people to allauth's, so the same
# throttles, two-factor challenge and session state apply to both doors.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    # Single sign-on's sign-in pages, ahead of allauth's (the sign-in form is allauth's, wrapped
    # so an address of an SSO domain goes to its identity provider).
    path("accounts/login/", sso_views.login, name="account_login"),
    path("accounts/sso/link/", sso_views.link, name="sso_link"),
    path("accounts/sso/signed-out/", sso_views.signed_out, name="sso_signed_out"),
    path("accounts/sso/signed-out/idp/", sso_views.idp_logout, name="sso_idp_logout"),
    path("accounts/sso/<slug:slug>/", sso_views.start, name="sso_start"),
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
