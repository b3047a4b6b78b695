from django.apps import AppConfig


class DutiesConfig(AppConfig):
    """Separation of duties (三权分立): the system, security and audit administrators of an installation."""

    name = "luoshi.duties"
    label = "duties"
