"""Indicator pages: the list with lights, an indicator's detail (chart and per-unit table), the forms for
targets and values, opening a rectification for a red indicator, and linking a task to an indicator."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from luoshi import access
from luoshi.core import workdays
from luoshi.core.errors import LuoshiError, NotFound
from luoshi.indicators import charts, cockpit, periods, rules, selectors, services
from luoshi.indicators.forms import IndicatorForm, LinkForm, TargetForm, ValueForm
from luoshi.indicators.models import Indicator, IndicatorValue, Target
from luoshi.organizations.models import Organization, User
from luoshi.tasks import selectors as task_selectors
from luoshi.web import selectors as web_selectors
from luoshi.web.forms import apply_errors
from luoshi.web.shortcuts import get_visible_or_404, int_param


def _user(request: HttpRequest) -> User:
    # The pages sit behind the sign-in middleware: the user is a signed-in person here.
    return cast(User, request.user)


def _indicator(request: HttpRequest, pk: int) -> Indicator:
    return get_visible_or_404(request.user, Indicator.objects.select_related("owner_org"), pk)


def _chosen_org(request: HttpRequest) -> Organization:
    try:
        return cockpit.get_org(request.user, int_param(request, "org"))
    except NotFound as exc:
        raise Http404 from exc


@require_safe
def indicator_list(request: HttpRequest) -> HttpResponse:
    org = _chosen_org(request)
    indicators = list(selectors.visible_indicators(request.user).filter(is_active=True))
    rows = selectors.standings(indicators, [org], today=workdays.today())
    units = web_selectors.visible_organizations(request.user)
    context = {
        "org": org,
        "rows": rows,
        "counts": selectors.light_counts(r for r in rows if r.target is not None),
        "units": units,
        "may_define": any(rules.may_define(request.user, u) for u in units),
    }
    return render(request, "indicators/list.html", context)


@require_http_methods(["GET", "POST"])
def indicator_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    units = [u for u in web_selectors.visible_organizations(user) if rules.may_define(user, u)]
    if not units:
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = IndicatorForm(request.POST, organizations=units)
        if form.is_valid():
            try:
                indicator = services.indicator_create(actor=user, **form.cleaned_data)
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Indicator defined. Now set its targets."))
                return redirect("web:indicator_detail", pk=indicator.pk)
        else:
            status = 422
    else:
        form = IndicatorForm(organizations=units)
    return render(request, "indicators/new.html", {"form": form}, status=status)


@require_safe
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    indicator = _indicator(request, pk)
    org = _chosen_org(request)
    today = workdays.today()
    row = selectors.standing_of(indicator=indicator, org=org, today=today)
    below = [u for u in selectors.units_with_targets(indicator, user=user, under=org) if u.pk != org.pk]
    unit_rows = selectors.standings([indicator], below, today=today)
    history = list(selectors.history(user=user, indicator=indicator, org=org)[:60])
    for value in history:
        value.period_key = periods.key(indicator.frequency, value.period_start)  # type: ignore[attr-defined]
    rectifiable = {r.org.pk for r in unit_rows if r.light == "red" and services.may_rectify(user, r.org)}
    context = {
        "indicator": indicator,
        "org": org,
        "row": row,
        "chart": charts.trajectory_svg(row),
        "table": charts.series_table(row),
        "unit_rows": unit_rows,
        "rectifiable": rectifiable,
        "may_rectify_self": row.light == "red" and services.may_rectify(user, org),
        "history": history,
        "may_target": rules.may_set_target(user, indicator, org),
        "may_report": not indicator.is_derived,
        "links": list(
            access.visible(user, indicator.task_links.filter(org=org)).select_related("task", "org")[:20]
        ),
    }
    return render(request, "indicators/detail.html", context)


@require_http_methods(["GET", "POST"])
def target_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    indicator = _indicator(request, pk)
    org = _chosen_org(request)
    if not rules.may_set_target(user, indicator, org):
        raise PermissionDenied
    children = list(
        access.visible(user, Organization.objects.filter(parent=org, is_active=True)).order_by(
            "sort_order", "path"
        )
    )
    status = 200
    if request.method == "POST":
        form = TargetForm(request.POST, children=children)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.target_set(
                    actor=user,
                    indicator=indicator,
                    org=org,
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    baseline=data["baseline"],
                    target_value=data["target_value"],
                    parts=[services.Part(o, v, b) for o, v, b in form.parts()],
                    note=data["note"],
                    version=data["version"],
                )
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Target saved."))
                return redirect(f"{reverse('web:indicator_detail', args=[indicator.pk])}?org={org.pk}")
        else:
            status = 422
    else:
        year = periods.year(workdays.today().year)
        initial: dict[str, Any] = {"period_start": year.start, "period_end": year.end}
        # The plan year's targets already set (the unit's and its parts') are shown for changing.
        for existing in Target.objects.filter(
            indicator=indicator,
            org_id__in=[org.pk, *(c.pk for c in children)],
            period_start=year.start,
            period_end=year.end,
        ):
            if existing.org_id == org.pk:
                initial.update(
                    baseline=existing.baseline,
                    target_value=existing.target_value,
                    note=existing.note,
                    version=existing.version,
                )
            else:
                initial[f"part_{existing.org_id}_target"] = existing.target_value
                initial[f"part_{existing.org_id}_baseline"] = existing.baseline
        form = TargetForm(initial=initial, children=children)
    context = {"indicator": indicator, "org": org, "form": form}
    return render(request, "indicators/target_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def value_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    indicator = _indicator(request, pk)
    if indicator.is_derived:
        raise Http404
    units = [u for u in web_selectors.visible_organizations(user) if rules.may_report(user, indicator, u)]
    if not units:
        raise PermissionDenied
    example = periods.EXAMPLES[indicator.frequency]  # type: ignore[index]
    status = 200
    if request.method == "POST":
        form = ValueForm(request.POST, organizations=units, example=example)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.value_report(
                    actor=user,
                    indicator=indicator,
                    org=data["org"],
                    period=data["period"],
                    value=data["value"],
                    source=data["source"],
                    status=data["status"],
                    note=data["note"],
                    revision=data["revision"],
                )
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Value saved."))
                return redirect(
                    f"{reverse('web:indicator_detail', args=[indicator.pk])}?org={data['org'].pk}"
                )
        else:
            status = 422
    else:
        initial: dict[str, Any] = {}
        chosen = int_param(request, "org")
        if chosen and any(u.pk == chosen for u in units):
            initial["org"] = str(chosen)
        period = request.GET.get("period", "")
        if period and chosen:
            initial["period"] = period
            current = IndicatorValue.objects.filter(
                indicator=indicator, org_id=chosen, is_current=True
            ).order_by("-period_start")
            for value in current:
                if periods.key(indicator.frequency, value.period_start) == period:
                    initial.update(revision=value.revision, value=value.value, source=value.source)
                    break
        form = ValueForm(initial=initial, organizations=units, example=example)
    context = {"indicator": indicator, "form": form}
    return render(request, "indicators/value_form.html", context, status=status)


@require_POST
def rectify(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = _indicator(request, pk)
    org = get_visible_or_404(request.user, Organization.objects.all(), request.POST.get("org"))
    try:
        task = services.rectification_open(actor=_user(request), indicator=indicator, org=org)
    except LuoshiError as exc:
        messages.error(request, str(exc.message))
        return redirect(f"{reverse('web:indicator_detail', args=[indicator.pk])}?org={org.pk}")
    messages.success(request, _("Rectification task opened as a draft. Review it and assign it."))
    return redirect("web:task_detail", pk=task.pk)


@require_http_methods(["GET", "POST"])
def task_link(request: HttpRequest, task_pk: int) -> HttpResponse:
    user = _user(request)
    try:
        task = task_selectors.get_task(user=user, pk=task_pk)
    except NotFound as exc:
        raise Http404 from exc
    if not access.can(user, "plan", task):
        raise PermissionDenied
    indicators = list(selectors.visible_indicators(user).filter(is_active=True))
    units = web_selectors.visible_organizations(user)
    status = 200
    if request.method == "POST":
        form = LinkForm(request.POST, indicators=indicators, organizations=units)
        if form.is_valid():
            try:
                services.task_link(actor=user, task=task, **form.cleaned_data)
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Indicator linked."))
                return redirect("web:task_detail", pk=task.pk)
        else:
            status = 422
    else:
        form = LinkForm(initial={"org": str(task.lead_org_id)}, indicators=indicators, organizations=units)
    return render(request, "indicators/link_form.html", {"task": task, "form": form}, status=status)
