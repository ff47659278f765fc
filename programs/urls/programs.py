"""URLs of programs: settings, members, cohorts, directors, bounces and needs (under /programs/)."""

from django.urls import path

from programs.views import assessments as assessment_views
from programs.views import bounces as bounce_views
from programs.views import joining as joining_views
from programs.views import programs as program_views

app_name = "programs"

urlpatterns = [
    path("", program_views.program_list, name="list"),
    path("<int:pk>/", program_views.program_detail, name="detail"),
    path("<int:pk>/settings/", program_views.program_settings, name="settings"),
    path("<int:pk>/members/", program_views.member_list, name="members"),
    path("<int:pk>/members/add/", program_views.member_add, name="member_add"),
    path("<int:pk>/members/<int:member_pk>/", program_views.member_edit, name="member_edit"),
    path(
        "<int:pk>/members/<int:member_pk>/remove/",
        program_views.member_remove,
        name="member_remove",
    ),
    path("<int:pk>/join/", joining_views.program_join, name="join"),
    path(
        "<int:pk>/join-requests/<int:request_pk>/",
        joining_views.join_request_answer,
        name="join_answer",
    ),
    path("<int:pk>/directors/", program_views.directors, name="directors"),
    path("<int:pk>/bounces/", bounce_views.bounces, name="bounces"),
    path(
        "<int:pk>/bounces/<int:bounce_pk>/clear/",
        bounce_views.bounce_clear_view,
        name="bounce_clear",
    ),
    path("<int:pk>/needs/", assessment_views.program_needs, name="needs"),
    path("<int:pk>/cohorts/new/", program_views.cohort_edit, name="cohort_new"),
    path("<int:pk>/cohorts/<int:cohort_pk>/", program_views.cohort_edit, name="cohort_edit"),
]
