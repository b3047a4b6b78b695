from django.apps import AppConfig


class DirectivesConfig(AppConfig):
    name = "luoshi.directives"
    label = "directives"

    def ready(self) -> None:
        # Visibility and action rules join the one policy in luoshi.access.
        from luoshi.directives import rules

        rules.register()
