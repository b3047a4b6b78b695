"""Error pages that say what happened in the user's language and leak nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A forged or expired form token: explain, change nothing, offer a way back."""
    return render(request, "web/errors/csrf.html", status=403)
