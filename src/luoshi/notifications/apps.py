from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "luoshi.notifications"
    label = "notifications"
