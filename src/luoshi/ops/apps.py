from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health checks, the access log and the ``backup``/``restore`` commands (no models)."""

    name = "luoshi.ops"
    label = "ops"
    verbose_name = "Operations"
