from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "prep_site.accounts"
    label = "accounts"
    verbose_name = "Accounts"
