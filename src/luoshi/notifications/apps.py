from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "luoshi.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Visibility and action rules join the one policy in luoshi.access.
        from luoshi.notifications import rules

        rules.register()
