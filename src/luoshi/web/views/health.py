"""Liveness and readiness for load balancers and monitoring (the checks are in ``luoshi.ops.health``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from luoshi.ops.health import run_checks


@login_not_required
@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """200 when every required check passes, 503 otherwise; the JSON names each check's outcome."""
    report = run_checks()
    return JsonResponse(report.as_dict(), status=200 if report.healthy else 503)
