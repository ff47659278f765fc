"""URLs of relationship reviews (included at the root)."""

from django.urls import path

from programs.views import reviews

urlpatterns = [
    # The respondent
    path("reviews/<str:token>/", reviews.review_answer, name="review_answer"),
    path("me/reviews/", reviews.my_reviews, name="my_reviews"),
    path("me/reviews/<int:pk>/done/", reviews.review_done, name="review_done"),
    # Directors
    path("programs/<int:pk>/reviews/", reviews.program_reviews, name="program_reviews"),
    path(
        "programs/<int:pk>/reviews/instruments/",
        reviews.instruments,
        name="review_instruments",
    ),
    path(
        "programs/<int:pk>/reviews/instruments/new/",
        reviews.instrument_edit,
        name="review_instrument_new",
    ),
    path(
        "programs/<int:pk>/reviews/instruments/<int:instrument_pk>/",
        reviews.instrument_edit,
        name="review_instrument_edit",
    ),
    path(
        "programs/<int:pk>/reviews/instruments/import/",
        reviews.instrument_import_view,
        name="review_instrument_import",
    ),
    path(
        "programs/<int:pk>/reviews/instruments/<int:instrument_pk>/export.json",
        reviews.instrument_export,
        name="review_instrument_export",
    ),
    path("review-instruments/format/", reviews.instrument_format, name="review_instrument_format"),
    path(
        "programs/<int:pk>/reviews/instruments/<int:instrument_pk>/copy/",
        reviews.instrument_copy_view,
        name="review_instrument_copy",
    ),
    path("relationships/<int:pk>/reviews/", reviews.review_results, name="review_results"),
    path(
        "relationships/<int:pk>/reviews/clear-risk/",
        reviews.risk_clear_view,
        name="risk_clear",
    ),
]
