from django.urls import path

from matching import views

app_name = "matching"

director = "programs/<int:pk>/matching/"
run = director + "runs/<int:run_pk>/"

urlpatterns = [
    path("programs/<int:pk>/mentors/", views.shortlist, name="shortlist"),
    path(
        "programs/<int:pk>/mentors/<int:mentor_pk>/request/", views.request_new, name="request_new"
    ),
    path("programs/<int:pk>/mentors/<int:mentor_pk>/mark/", views.mark, name="mark"),
    path(
        "programs/<int:pk>/mentors/<int:mentor_pk>/conflict/",
        views.declare_conflict,
        name="declare_conflict",
    ),
    path("programs/<int:pk>/peers/", views.peers, name="peers"),
    path("programs/<int:pk>/peers/<int:peer_pk>/propose/", views.peer_propose, name="peer_propose"),
    path("me/requests/", views.my_requests, name="my_requests"),
    path("requests/<int:request_pk>/", views.request_detail, name="request_detail"),
    path(
        "requests/<int:request_pk>/withdraw/", views.request_withdraw_view, name="request_withdraw"
    ),
    path(director, views.hub, name="hub"),
    path(director + "weights/", views.weights, name="weights"),
    path(director + "rules/", views.rules, name="rules"),
    path(director + "rules/<int:rule_pk>/remove/", views.rule_remove, name="rule_remove"),
    path(director + "assign/", views.assign, name="assign"),
    path(director + "fairness/", views.fairness_view, name="fairness"),
    path(director + "runs/new/", views.run_new, name="run_new"),
    path(run, views.run_detail, name="run"),
    path(run + "progress/", views.run_progress, name="run_progress"),
    path(run + "publish/", views.run_publish, name="run_publish"),
    path(run + "discard/", views.run_discard, name="run_discard"),
    path(run + "control/<str:action>/", views.run_control, name="run_control"),
    path(run + "rerun/", views.run_rerun, name="run_rerun"),
    path(
        run + "groups/<int:group>/facilitator/",
        views.group_facilitator,
        name="group_facilitator",
    ),
    path(
        run + "suggestions/<int:suggestion_pk>/<str:action>/",
        views.suggestion_action,
        name="suggestion_action",
    ),
]
