from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Mentorship programs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from programs import notices  # noqa: F401 - registers the email context builders
