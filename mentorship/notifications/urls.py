from django.urls import path

from mentorship.notifications import views

app_name = "notifications"

urlpatterns = [
    path("me/notifications/", views.preferences, name="preferences"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("notifications/delivery-notice/", views.delivery_notice, name="delivery_notice"),
    path("institution/email-delivery/", views.delivery, name="delivery"),
]
