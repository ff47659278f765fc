from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Mentorship programs"
    default_auto_field = "django.db.models.BigAutoField"
