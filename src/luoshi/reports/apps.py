from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "luoshi.reports"
    label = "reports"

    def ready(self) -> None:
        from luoshi.reports import rules

        rules.register()
