from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "mentorship.notifications"
    label = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mentorship.notifications import builders, services  # noqa: F401 - registers the context builders
