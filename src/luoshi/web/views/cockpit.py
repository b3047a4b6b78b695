"""The leader's cockpit (领导驾驶舱): where a unit subtree stands at a glance, every figure a link to the
ledger rows behind it. The figures come from ``luoshi.indicators.cockpit`` (aggregates in SQL)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from luoshi.config.routers import use_replica_reads
from luoshi.core import workdays
from luoshi.core.errors import NotFound
from luoshi.indicators import cockpit as figures
from luoshi.web import selectors
from luoshi.web.shortcuts import int_param


@require_safe
@use_replica_reads
def cockpit(request: HttpRequest) -> HttpResponse:
    user = request.user
    try:
        org = figures.get_org(user, int_param(request, "org"))
    except NotFound as exc:
        raise Http404 from exc
    board = figures.dashboard(user=user, org=org, today=workdays.today())
    context = {
        "board": board,
        "units": selectors.units_around(user, org),
        "light_max": max([1, *(n for _light, n, _q in board.by_light)]),
        "child_max": max([1, *(g.total for g in board.by_child)]),
    }
    return render(request, "cockpit/cockpit.html", context)
