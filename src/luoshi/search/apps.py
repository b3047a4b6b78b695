from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "luoshi.search"
    label = "search"
