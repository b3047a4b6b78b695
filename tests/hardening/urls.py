"""The project's URLs plus views that fail on purpose, to see what the error pages give away."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import get_template
from django.urls import path

from luoshi.config import urls as project

handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500

SECRET_SQL = "SELECT password FROM organizations_user WHERE username = 'hunter2'"


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"{SECRET_SQL} failed at /srv/luoshi/settings.py")


def bad_sql(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM organizations_user")
    return HttpResponse("unreachable")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation(f"tampered with {SECRET_SQL}")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(SECRET_SQL)


def missing(request: HttpRequest) -> HttpResponse:
    raise Http404(SECRET_SQL)


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page as ``luoshi.core.dbdown`` renders it while the database is down (without the request)."""
    return HttpResponse(get_template("web/errors/503.html").render(), status=503)


failing = [
    path("crash/", crash),
    path("bad-sql/", bad_sql),
    path("suspicious/", suspicious),
    path("forbidden/", forbidden),
    path("missing/", missing),
    path("unavailable/", unavailable),
]

urlpatterns = [
    *[path(f"boom/{p.pattern}", p.callback) for p in failing],
    # The same under /api/, outside the Ninja API's own URLs, where the answers must be JSON.
    *[path(f"api/boom/{p.pattern}", p.callback) for p in failing],
    *project.urlpatterns,
]
