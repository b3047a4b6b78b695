from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "luoshi.tasks"
    label = "tasks"

    def ready(self) -> None:
        # Visibility and action rules join the one policy in luoshi.access.
        from luoshi.tasks import rules

        rules.register()
