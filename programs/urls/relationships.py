"""URLs of relationships, meetings, concerns, dashboards and calendars (included at the root)."""

from django.urls import path

from programs.views import (
    concerns,
    dashboards,
    joining,
    meetings,
    oversight,
    relationships,
    reports,
    roster,
)

urlpatterns = [
    # Dashboards
    path("me/board/", dashboards.mentee_board, name="mentee_board"),
    path("me/board/outside-mentor/", relationships.outside_mentor_new, name="outside_mentor_new"),
    path("me/mentoring/", dashboards.mentor_dashboard, name="mentor_dashboard"),
    # Circles: asking to join, and the facilitator's or directors' answers
    path("circles/<int:pk>/join/", joining.circle_join, name="circle_join"),
    path("circles/<int:pk>/requests/", joining.circle_requests, name="circle_join_requests"),
    path(
        "circles/<int:pk>/requests/<int:request_pk>/answer/",
        joining.circle_request_answer,
        name="circle_request_answer",
    ),
    path("me/calendar/", meetings.calendar_settings, name="calendar_settings"),
    path("calendar/<str:token>.ics", meetings.calendar_feed, name="calendar_feed"),
    # Directors, per program
    path(
        "programs/<int:pk>/relationships/",
        oversight.program_relationships,
        name="program_relationships",
    ),
    path("programs/<int:pk>/dashboard/", oversight.program_dashboard, name="program_dashboard"),
    path(
        "programs/<int:pk>/recognition/",
        oversight.mentor_recognition_view,
        name="mentor_recognition",
    ),
    path(
        "programs/<int:pk>/recognition/export.csv",
        oversight.mentor_recognition_csv,
        name="mentor_recognition_csv",
    ),
    path(
        "programs/<int:pk>/relationships/new/",
        relationships.relationship_new,
        name="relationship_new",
    ),
    path("programs/<int:pk>/roster/", roster.program_roster, name="program_roster"),
    path(
        "programs/<int:pk>/roster/<int:roster_pk>/",
        roster.program_roster_preview,
        name="program_roster_preview",
    ),
    path(
        "programs/<int:pk>/roster/<int:roster_pk>/confirm/",
        roster.program_roster_confirm,
        name="program_roster_confirm",
    ),
    path("programs/<int:pk>/reports/", reports.program_reports, name="program_reports"),
    path("programs/<int:pk>/reports/export/", reports.report_export, name="report_export"),
    path(
        "programs/<int:pk>/reports/exports/<int:export_pk>/",
        reports.report_export_status,
        name="report_export_status",
    ),
    path(
        "programs/<int:pk>/reports/exports/<int:export_pk>/download/",
        reports.report_export_download,
        name="report_export_download",
    ),
    path(
        "programs/<int:pk>/reports/exports/<int:export_pk>/<str:action>/",
        reports.report_export_action,
        name="report_export_action",
    ),
    path("programs/<int:pk>/concerns/", concerns.program_concerns, name="program_concerns"),
    # One relationship
    path("relationships/<int:pk>/", relationships.relationship_detail, name="relationship_detail"),
    path(
        "relationships/<int:pk>/agreement/", relationships.agreement, name="relationship_agreement"
    ),
    path(
        "relationships/<int:pk>/agreement/confirm/",
        relationships.agreement_confirm_view,
        name="agreement_confirm",
    ),
    path("relationships/<int:pk>/pilot/", relationships.pilot_confirm, name="pilot_confirm"),
    path(
        "relationships/<int:pk>/reassign/",
        oversight.relationship_reassign_view,
        name="relationship_reassign",
    ),
    path(
        "relationships/<int:pk>/extend-pilot/",
        oversight.relationship_extend_pilot_view,
        name="relationship_extend_pilot",
    ),
    path(
        "relationships/<int:pk>/director-notes/",
        oversight.director_note_view,
        name="director_note_add",
    ),
    path(
        "relationships/<int:pk>/end/", relationships.relationship_end_view, name="relationship_end"
    ),
    path(
        "relationships/<int:pk>/conclude/",
        relationships.relationship_conclude_view,
        name="relationship_conclude",
    ),
    path(
        "relationships/<int:pk>/keep-going/",
        relationships.relationship_keep_going_view,
        name="relationship_keep_going",
    ),
    path(
        "relationships/<int:pk>/alumni/",
        relationships.relationship_alumni_view,
        name="relationship_alumni",
    ),
    path("relationships/<int:pk>/actions/", relationships.action_item_add, name="action_item_add"),
    path(
        "relationships/<int:pk>/actions/<int:item_pk>/",
        relationships.action_item_status,
        name="action_item_status",
    ),
    path("relationships/<int:pk>/check-ins/new/", relationships.checkin_new, name="checkin_new"),
    path("relationships/<int:pk>/meetings/new/", meetings.meeting_new, name="meeting_new"),
    path("relationships/<int:pk>/concerns/new/", concerns.concern_new, name="concern_new"),
    # One meeting
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/cancel/", meetings.meeting_cancel_view, name="meeting_cancel"),
    path("meetings/<int:pk>/agenda/", meetings.agenda_add, name="agenda_add"),
    path(
        "meetings/<int:pk>/agenda/<int:item_pk>/remove/",
        meetings.agenda_remove,
        name="agenda_remove",
    ),
    path("meetings/<int:pk>/notes/", meetings.notes_save, name="meeting_notes"),
    path("meetings/<int:pk>/private-note/", meetings.private_note_save_view, name="private_note"),
    path(
        "meetings/<int:pk>/notes/autosave/", meetings.notes_autosave, name="meeting_notes_autosave"
    ),
    path(
        "meetings/<int:pk>/private-note/autosave/",
        meetings.private_note_autosave,
        name="private_note_autosave",
    ),
    path("meetings/<int:pk>/log/", meetings.meeting_log_view, name="meeting_log"),
    path("meetings/<int:pk>/recap/", meetings.recap_write_view, name="recap_write"),
    path("meetings/<int:pk>/recap/confirm/", meetings.recap_confirm_view, name="recap_confirm"),
    path("meetings/<int:pk>/invite.ics", meetings.meeting_ics, name="meeting_ics"),
    # Concerns
    path("concerns/<int:pk>/", concerns.concern_detail, name="concern_detail"),
    path(
        "concerns/<int:pk>/acknowledge/",
        concerns.concern_acknowledge_view,
        name="concern_acknowledge",
    ),
    path("concerns/<int:pk>/resolve/", concerns.concern_resolve_view, name="concern_resolve"),
    path("concerns/<int:pk>/reopen/", concerns.concern_reopen_view, name="concern_reopen"),
    path("concerns/<int:pk>/notes/", concerns.concern_note_view, name="concern_note"),
]
