from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark (``luoshi bench``): no models, an app only so that Django finds its command."""

    name = "luoshi.bench"
    label = "bench"
