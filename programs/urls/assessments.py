"""The self-evaluation (/me/self-evaluation/…), versions others may open (/self-evaluations/…),
and what a mentor offers (/me/mentor-offer/)."""

from django.urls import path

from programs.views import assessments, mentor_offer

app_name = "assessments"

urlpatterns = [
    path("me/self-evaluation/", assessments.hub, name="hub"),
    path("me/self-evaluation/start/", assessments.start, name="start"),
    path("me/self-evaluation/compare/", assessments.compare, name="compare"),
    path("me/self-evaluation/<int:pk>/review/", assessments.review, name="review"),
    path("me/self-evaluation/<int:pk>/discard/", assessments.discard, name="discard"),
    path("me/self-evaluation/<int:pk>/share/", assessments.sharing, name="sharing"),
    path(
        "me/self-evaluation/<int:pk>/share/<int:share_pk>/stop/",
        assessments.unshare,
        name="unshare",
    ),
    path("me/self-evaluation/<int:pk>/<slug:slug>/", assessments.step_view, name="step"),
    path(
        "me/self-evaluation/<int:pk>/<slug:slug>/autosave/",
        assessments.autosave,
        name="autosave",
    ),
    path("self-evaluations/<int:pk>/", assessments.version_detail, name="version"),
    path("self-evaluations/<int:pk>/print/", assessments.version_print, name="print"),
    path("self-evaluations/<int:pk>/pdf/", assessments.version_pdf, name="pdf"),
    path("me/mentor-offer/", mentor_offer.mentor_offer, name="mentor_offer"),
    path("me/mentor-offer/training/", mentor_offer.training_add, name="training_add"),
    path(
        "me/mentor-offer/training/<int:pk>/remove/",
        mentor_offer.training_remove,
        name="training_remove",
    ),
]
