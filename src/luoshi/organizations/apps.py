from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "luoshi.organizations"
    label = "organizations"
