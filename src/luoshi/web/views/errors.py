"""Error pages that say what happened in the user's language and leak nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from luoshi.web.shortcuts import safe_next


def _api_error(request: HttpRequest, code: str, message: str, status: int) -> HttpResponse | None:
    """API clients get the API's JSON error body, not a page, for URLs the API itself did not answer."""
    if not request.path_info.startswith("/api/"):
        return None
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A forged or expired form token: explain, change nothing, offer a way back."""
    back = safe_next(request, request.headers.get("Referer"), reverse("web:home"))
    return render(request, "web/errors/csrf.html", {"back": back}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused to read (a forged host, too many fields or files, a broken session).

    Rendered without the request: what was wrong may be the session or a header the page would use.
    """
    api = _api_error(request, "bad_request", _("The request could not be read."), 400)
    return api or HttpResponse(get_template("web/errors/400.html").render(), status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    api = _api_error(request, "forbidden", _("You are not allowed to do this."), 403)
    return api or render(request, "web/errors/403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    api = _api_error(request, "not_found", _("Not found."), 404)
    return api or render(request, "web/errors/404.html", status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    api = _api_error(request, "server_error", _("Something went wrong on the server."), 500)
    # No request context: the failure may be the database, which the context processors would ask.
    return api or HttpResponse(get_template("web/errors/500.html").render(), status=500)
