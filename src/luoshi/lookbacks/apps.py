from django.apps import AppConfig


class LookbacksConfig(AppConfig):
    name = "luoshi.lookbacks"
    label = "lookbacks"

    def ready(self) -> None:
        # Visibility and action rules join the one policy in luoshi.access.
        from luoshi.lookbacks import rules

        rules.register()
