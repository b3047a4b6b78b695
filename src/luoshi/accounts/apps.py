from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "luoshi.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Hooks into Django's and django-axes's sign-in events; see receivers.py for why signals here.
        from luoshi.accounts import receivers  # noqa: F401
