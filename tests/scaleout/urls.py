"""The app's URLs plus two views that fail the way a request does while the database is down."""

from __future__ import annotations

import psycopg
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def _down(request: HttpRequest) -> HttpResponse:
    try:
        raise psycopg.OperationalError("connection failed: Connection refused")
    except psycopg.OperationalError as exc:
        raise OperationalError(str(exc)) from exc


urlpatterns = [
    path("test-down/", _down),
    path("api/test-down/", _down),
    path("", include("luoshi.config.urls")),
]
