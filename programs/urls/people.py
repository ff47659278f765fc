"""URLs of the home page, a person's own profile, others' profiles, career records and invitation
links."""

from django.urls import path

from programs.views import careers, home, invitations, people

urlpatterns = [
    path("", home.home, name="home"),
    path("invitations/<str:token>/", invitations.invitation_accept_view, name="invitation_accept"),
    path("me/profile/", people.profile_edit, name="profile_edit"),
    path("me/profile/photo/", people.profile_photo, name="profile_photo"),
    path("me/profile/photo/remove/", people.profile_photo_delete, name="profile_photo_remove"),
    path("people/<int:pk>/", people.profile_detail, name="profile_detail"),
    path("people/<int:pk>/photo/", people.person_photo, name="person_photo"),
    path("people/<int:pk>/career/", careers.person_career, name="person_career"),
    path("people/<int:pk>/career/departures/new/", careers.departure_new, name="departure_new"),
    path(
        "people/<int:pk>/career/departures/<int:departure_pk>/",
        careers.departure_edit,
        name="departure_edit",
    ),
    path(
        "people/<int:pk>/career/departures/<int:departure_pk>/withdraw/",
        careers.departure_withdraw_view,
        name="departure_withdraw",
    ),
]
