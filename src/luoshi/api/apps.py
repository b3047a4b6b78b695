from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "luoshi.api"
    label = "api"
