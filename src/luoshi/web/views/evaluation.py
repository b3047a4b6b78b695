"""Evaluation pages: the league table with its formula, a score's drill-down, and the scheme editor."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from luoshi.config.routers import use_replica_reads
from luoshi.core import workdays
from luoshi.core.errors import LuoshiError, NotFound, ValidationFailed
from luoshi.evaluation import engine, rules, selectors, services
from luoshi.evaluation.models import DEFAULT_URGING_POINTS, WEIGHT_FIELDS, Component, Scheme, SubjectKind
from luoshi.evaluation.periods import Period
from luoshi.organizations.models import User
from luoshi.web import selectors as web_selectors
from luoshi.web.forms import apply_errors


def _user(request: HttpRequest) -> User:
    """Pages run behind the sign-in middleware: the user is a signed-in person."""
    return cast(User, request.user)


class TableForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=10,
        help_text=gettext_lazy("e.g. 2024-Q1, 2024-03, 2024-W09 or 2024"),
    )
    parent = forms.TypedChoiceField(label=gettext_lazy("Rank the units under"), coerce=int, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Show"), choices=SubjectKind.choices, required=False)

    def clean_period(self) -> Period:
        try:
            return Period.parse(self.cleaned_data["period"])
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.fields["period"]) from exc


def _movement(row: selectors.Row) -> dict[str, Any]:
    """How the movement reads: an arrow and words (never a colour alone)."""
    if row.rank is None:
        return {"symbol": "", "text": ""}
    if row.previous_rank is None:
        return {"symbol": "★", "text": _("new in the table")}
    if not row.movement:
        return {"symbol": "→", "text": _("unchanged")}
    if row.movement > 0:
        return {"symbol": "↑", "text": _("up %(places)d") % {"places": row.movement}}
    return {"symbol": "↓", "text": _("down %(places)d") % {"places": -row.movement}}


def _formula(scheme_data: dict[str, Any], unavailable: list[str]) -> list[dict[str, Any]]:
    labels = dict(Component.choices)
    return [
        {"label": labels[c], "weight": w, "available": ok, "component": c}
        for c, w, ok in engine.formula(scheme_data, unavailable)
    ]


@require_safe
@use_replica_reads
def league(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = workdays.today()
    data = request.GET.copy()
    data.setdefault("period", Period.containing("quarter", today).key)
    units = web_selectors.visible_organizations(user)
    form = TableForm(data)
    parent_field = cast(forms.TypedChoiceField, form.fields["parent"])
    parent_field.choices = [("", _("The city"))] + [(u.pk, u.name) for u in units]
    rows: list[selectors.Row] = []
    evaluation = None
    period = None
    parent = None
    if form.is_valid():
        period = form.cleaned_data["period"]
        parent_id = form.cleaned_data.get("parent")
        if parent_id:
            parent = next((u for u in units if u.pk == parent_id), None)
            if parent is None:
                raise Http404
        kind = form.cleaned_data.get("kind") or SubjectKind.UNIT
        evaluation = selectors.evaluation_for(period)
        rows = selectors.league_table(period, parent=parent, user=user, kind=kind)
    scheme = evaluation.scheme_data if evaluation else selectors.current_scheme().as_data()
    unavailable = evaluation.unavailable if evaluation else _unavailable_now()
    context = {
        "form": form,
        "period": period,
        "period_label": period.label() if period else "",
        "evaluation": evaluation,
        "rows": [
            {
                "row": r,
                "movement": _movement(r),
                "cells": [{"label": c.label, "score": r.component_score(str(c))} for c in Component],
            }
            for r in rows
        ],
        "components": [(str(c), c.label) for c in Component],
        "formula": _formula(scheme, unavailable),
        "unavailable": [dict(Component.choices)[c] for c in unavailable],
        "may_compute": rules.may_compute(user),
        "may_edit_schemes": rules.may_edit_schemes(user),
        "kind": form.cleaned_data.get("kind") if form.is_valid() else SubjectKind.UNIT,
    }
    return render(request, "evaluation/league.html", context)


def _unavailable_now() -> list[str]:
    """Components without a source in this installation (shown before anything is stored)."""
    from luoshi.evaluation import sources

    missing = []
    if sources.urging_model() is None:
        missing.append(str(Component.URGINGS))
    for module, component in (
        ("luoshi.indicators.selectors", Component.INDICATORS),
        ("luoshi.lookbacks.selectors", Component.RELAPSES),
    ):
        if sources._module(module) is None:
            missing.append(str(component))
    return missing


@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    """Compute (or recompute) the period's table and store it."""
    target = reverse("web:evaluation_league")
    try:
        period = Period.parse(request.POST.get("period", ""))
        evaluation = services.evaluation_run(actor=_user(request), period=period)
    except LuoshiError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(
            request, " ".join([str(exc.message), *(str(m) for ms in exc.fields.values() for m in ms)])
        )
        return redirect(target)
    messages.success(
        request,
        _("The table for %(period)s was computed from the record (%(count)d scores).")
        % {"period": evaluation.period_key, "count": evaluation.scores.count()},
    )
    return redirect(f"{target}?period={evaluation.period_key}")


@require_safe
def score_detail(request: HttpRequest, pk: int, score_id: int) -> HttpResponse:
    """Every point a unit or person lost, with the task, report deadline or urging behind it."""
    try:
        evaluation = selectors.get_evaluation(user=request.user, pk=pk)
        score = selectors.get_score(user=request.user, evaluation=evaluation, pk=score_id)
    except NotFound as exc:
        raise Http404 from exc
    losses = selectors.drill_down(evaluation, score)
    labels = dict(Component.choices)
    components = [
        {"component": c, "label": labels[c], **score.components.get(c, {})} for c in map(str, Component)
    ]
    flags = (
        selectors.flags_for(evaluation, score.organization)
        if score.kind == SubjectKind.UNIT and score.organization
        else []
    )
    context = {
        "evaluation": evaluation,
        "score": score,
        "components": components,
        "losses": [{"loss": loss, "label": labels[loss.component]} for loss in losses],
        "total_lost": sum((loss.points for loss in losses), start=0),
        "flags": flags,
        "formula": _formula(evaluation.scheme_data, evaluation.unavailable),
    }
    return render(request, "evaluation/score.html", context)


# --- schemes --------------------------------------------------------------------------------------


class SchemeForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    relapse_points = forms.IntegerField(label=gettext_lazy("Points per relapse"), min_value=1, max_value=100)
    flag_jump_points = forms.IntegerField(
        label=gettext_lazy("Flag a jump to 100 percent of at least (points)"), min_value=1, max_value=100
    )
    flag_relapse_days = forms.IntegerField(
        label=gettext_lazy("Flag a relapse within (days of closure)"), min_value=1, max_value=3650
    )
    flag_copy_min_chars = forms.IntegerField(
        label=gettext_lazy("Compare reports of at least (characters)"), min_value=1, max_value=1000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Component.choices)
        for component, field_name in WEIGHT_FIELDS.items():
            self.fields[field_name] = forms.IntegerField(
                label=_("Weight: %(component)s") % {"component": labels[component]},
                min_value=0,
                max_value=100,
            )
        for level in DEFAULT_URGING_POINTS:
            self.fields[f"urging_{level}"] = forms.IntegerField(
                label=_("Points per urging: %(level)s") % {"level": _urging_label(level)},
                min_value=0,
                max_value=100,
            )

    def weight_fields(self) -> list[Any]:
        return [self[f] for f in WEIGHT_FIELDS.values()]

    def urging_fields(self) -> list[Any]:
        return [self[f"urging_{level}"] for level in DEFAULT_URGING_POINTS]

    def other_fields(self) -> list[Any]:
        return [
            self[f]
            for f in ("relapse_points", "flag_jump_points", "flag_relapse_days", "flag_copy_min_chars")
        ]

    def data_for_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["urging_points"] = {level: data.pop(f"urging_{level}") for level in DEFAULT_URGING_POINTS}
        return data


def _urging_label(level: str) -> str:
    try:
        from luoshi.supervision.models import UrgingLevel

        return str(UrgingLevel(level).label)
    except (ImportError, ValueError):
        return level


def _initial(scheme: Scheme) -> dict[str, Any]:
    data = scheme.as_data()
    initial: dict[str, Any] = {"name": scheme.name, "description": scheme.description}
    initial |= {field: getattr(scheme, field) for field in WEIGHT_FIELDS.values()}
    initial |= {
        k: data[k] for k in ("relapse_points", "flag_jump_points", "flag_relapse_days", "flag_copy_min_chars")
    }
    initial |= {
        f"urging_{level}": scheme.urging_points.get(level, p) for level, p in DEFAULT_URGING_POINTS.items()
    }
    return initial


def _posted_int(request: HttpRequest, name: str) -> int:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return 0


def _require_editor(request: HttpRequest) -> None:
    if not rules.may_edit_schemes(request.user):
        raise PermissionDenied


@require_safe
def scheme_list(request: HttpRequest) -> HttpResponse:
    schemes = list(Scheme.objects.all())
    return render(
        request,
        "evaluation/schemes.html",
        {
            "schemes": [{"scheme": s, "formula": _formula(s.as_data(), [])} for s in schemes],
            "may_edit": rules.may_edit_schemes(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_editor(request)
    scheme = Scheme.objects.filter(pk=pk).first() if pk else None
    if pk and scheme is None:
        raise Http404
    template = scheme or Scheme(name="")
    form = SchemeForm(request.POST or None, initial=_initial(template))
    if request.method == "POST" and form.is_valid():
        try:
            if scheme is None:
                saved = services.scheme_create(
                    actor=_user(request),
                    data=form.data_for_service(),
                    activate=bool(request.POST.get("activate")),
                )
            else:
                saved = services.scheme_update(
                    actor=_user(request),
                    scheme=scheme,
                    version=_posted_int(request, "version"),
                    data=form.data_for_service(),
                )
                if request.POST.get("activate") and not saved.is_active:
                    saved = services.scheme_activate(
                        actor=_user(request), scheme=saved, version=saved.version
                    )
        except LuoshiError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The scheme “%(name)s” was saved.") % {"name": saved.name})
            return redirect("web:evaluation_schemes")
    status = 422 if request.method == "POST" else 200
    return render(request, "evaluation/scheme_form.html", {"form": form, "scheme": scheme}, status=status)
