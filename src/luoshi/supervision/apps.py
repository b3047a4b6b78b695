from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "luoshi.supervision"
    label = "supervision"

    def ready(self) -> None:
        # Visibility and action rules join the one policy in luoshi.access.
        from luoshi.supervision import rules

        rules.register()
