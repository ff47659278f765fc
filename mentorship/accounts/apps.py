from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mentorship.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mentorship.accounts import receivers  # noqa: F401 - connects the signal receivers
