from django.urls import path

from programs.views import directory, institution, reports, roster, sso

app_name = "institution"

urlpatterns = [
    path("", institution.institution_home, name="home"),
    path("programs/new/", institution.program_new, name="program_new"),
    path("invite/", institution.invite, name="invite"),
    path(
        "invitations/<int:pk>/<str:action>/",
        institution.invitation_action,
        name="invitation_action",
    ),
    path("people/", institution.people, name="people"),
    path("people/search/", directory.people_search, name="people_search"),
    path("people/<int:pk>/supervisor/", directory.supervisor_edit, name="supervisor_edit"),
    path("directory/", directory.directory, name="directory"),
    path("directory/departments/<int:pk>/", directory.department_edit, name="department_edit"),
    path("directory/divisions/<int:pk>/", directory.division_edit, name="division_edit"),
    path("roster/", roster.institution_roster, name="roster"),
    path("roster/<int:pk>/", roster.institution_roster_preview, name="roster_preview"),
    path("roster/<int:pk>/confirm/", roster.institution_roster_confirm, name="roster_confirm"),
]
urlpatterns += [
    path("sign-in/", sso.sign_in_home, name="sign_in"),
    path("sign-in/<int:pk>/", sso.sign_in_edit, name="sign_in_edit"),
    path("sign-in/<int:pk>/sp-metadata.xml", sso.sp_metadata, name="sp_metadata"),
]
urlpatterns += [
    path("reference/", institution.reference_data, name="reference_home"),
    path("reference/<slug:kind>/", institution.reference_data, name="reference"),
]
urlpatterns += [
    path("reports/", reports.institution_reports, name="reports"),
    path("reports/export/", reports.institution_report_export, name="report_export"),
    path(
        "reports/exports/<int:export_pk>/",
        reports.institution_report_export_status,
        name="report_export_status",
    ),
    path(
        "reports/exports/<int:export_pk>/download/",
        reports.institution_report_export_download,
        name="report_export_download",
    ),
    path(
        "reports/exports/<int:export_pk>/<str:action>/",
        reports.institution_report_export_action,
        name="report_export_action",
    ),
]
