from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "luoshi.indicators"
    label = "indicators"

    def ready(self) -> None:
        # Visibility and action rules join the one policy in luoshi.access.
        from luoshi.indicators import rules

        rules.register()
