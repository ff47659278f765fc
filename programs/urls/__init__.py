"""Every URL of the programs app, one module per area; the project's URLconf includes this one."""

from django.urls import include, path

urlpatterns = [
    path("", include("programs.urls.people")),
    path("", include("programs.urls.assessments")),
    path("programs/", include("programs.urls.programs")),
    path("institution/", include("programs.urls.institution")),
    path("", include("programs.urls.relationships")),
    path("", include("programs.urls.reviews")),
]
