from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "prep_site.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Connects the receiver that moves an anonymous visitor's quiz history to their account on log-in.
        from prep_site.accounts import signals  # noqa: F401
