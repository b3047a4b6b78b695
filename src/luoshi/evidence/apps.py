from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "luoshi.evidence"
    label = "evidence"
    verbose_name = _("Evidence files")

    def ready(self) -> None:
        # Visibility joins the one policy in luoshi.access; the check keeps evidence out of served folders.
        from luoshi.evidence import checks, rules

        rules.register()
        checks.register()
