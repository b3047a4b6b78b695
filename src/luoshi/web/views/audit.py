"""The audit trail page: newest events first, filters, and a check of the hash chain."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from luoshi.access.policy import can_view_audit
from luoshi.audit.verify import verify_chain
from luoshi.web import selectors
from luoshi.web.forms import AuditFilterForm
from luoshi.web.shortcuts import int_param, render_list

PAGE_SIZE = 50


def _require_audit_reader(request: HttpRequest) -> None:
    if not can_view_audit(request.user):
        raise PermissionDenied


def _page_context(request: HttpRequest) -> dict[str, object]:
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_events(
        request.user,
        action=filters.get("action", ""),
        obj=filters.get("object", ""),
        actor=filters.get("actor", ""),
    )
    page = selectors.event_page(
        events, before=int_param(request, "before"), after=int_param(request, "after"), size=PAGE_SIZE
    )
    query = request.GET.copy()
    for key in ("before", "after"):
        query.pop(key, None)
    return {"form": form, "page": page, "filters": query.urlencode()}


@require_safe
def audit_list(request: HttpRequest) -> HttpResponse:
    _require_audit_reader(request)
    return render_list(request, "web/audit/list.html", "web/audit/_events.html", _page_context(request))


@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Walk the whole chain now and show the outcome above the newest events."""
    _require_audit_reader(request)
    context = _page_context(request) | {"verification": verify_chain()}
    return render(request, "web/audit/list.html", context, status=200)
