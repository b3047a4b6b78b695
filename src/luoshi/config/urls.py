"""Top-level URLs: pages, the API and its OpenAPI document, health."""

from django.urls import include, path

from luoshi.api.urls import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("luoshi.web.urls")),
]
