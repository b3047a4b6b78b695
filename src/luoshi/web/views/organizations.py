"""Organisation pages: the tree, a unit, and changing, adding, moving and importing units."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from luoshi import access
from luoshi.access import Action
from luoshi.access.policy import can_view_audit
from luoshi.core.errors import Conflict, LuoshiError
from luoshi.organizations import importer
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Organization
from luoshi.web import selectors
from luoshi.web.forms import (
    ImportForm,
    MoveForm,
    NewChildForm,
    OrganizationFilterForm,
    OrganizationForm,
    apply_errors,
)
from luoshi.web.shortcuts import authorize, get_visible_or_404, render_list

EDITABLE_FIELDS = ("name", "short_name", "kind", "region_code", "duties", "sort_order", "is_active")


def units_allowing(user: Any, action: str, units: list[Organization] | None = None) -> list[Organization]:
    """The visible units (or those among ``units``) on which ``user`` may do ``action``, in tree order."""
    return access.allowed(user, action, selectors.visible_organizations(user) if units is None else units)


def people_manageable_units(user: Any, units: list[Organization] | None = None) -> list[Organization]:
    return units_allowing(user, Action.MANAGE_PEOPLE, units)


def import_allowed(user: Any, units: list[Organization] | None = None) -> bool:
    return bool(units_allowing(user, Action.IMPORT, units))


@require_safe
def organization_list(request: HttpRequest) -> HttpResponse:
    form = OrganizationFilterForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    units = selectors.visible_organizations(request.user)
    tree = selectors.build_tree(units, selectors.people_counts(request.user), query)
    context = {"form": form, "tree": tree, "may_import": import_allowed(request.user, units)}
    return render_list(request, "web/organizations/list.html", "web/organizations/_tree.html", context)


@require_safe
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    org = get_visible_or_404(user, Organization.objects.all(), pk)
    may = {
        action: access.can(user, action, org)
        for action in (Action.CHANGE, Action.ADD_CHILD, Action.MOVE, Action.MANAGE_PEOPLE)
    }
    context = {
        "org": org,
        "ancestors": _ancestors(org),
        "children": selectors.children_of(user, org),
        "memberships": selectors.members_of(user, org),
        "may": may,
        "events": selectors.recent_events(org) if may[Action.CHANGE] or can_view_audit(user) else None,
    }
    return render(request, "web/organizations/detail.html", context)


def _ancestors(org: Organization) -> list[Organization]:
    """The chain above ``org``, root first (always visible to whoever may see ``org``)."""
    return list(Organization.objects.ancestors_of(org).order_by("path"))


def _initial(org: Organization) -> dict[str, Any]:
    return {field: getattr(org, field) for field in EDITABLE_FIELDS} | {"version": org.version}


def _differences(form: OrganizationForm, current: Organization) -> list[dict[str, Any]]:
    """Fields where the saved record now differs from what the user typed (shown after a conflict)."""
    rows = []
    for name in EDITABLE_FIELDS:
        if name not in form.fields:
            continue
        mine = form.cleaned_data.get(name) if hasattr(form, "cleaned_data") else None
        theirs = getattr(current, name)
        if (mine or None) != (theirs or None):
            display = getattr(current, f"get_{name}_display", None)
            rows.append({"label": form.fields[name].label, "saved": display() if display else theirs})
    return rows


@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    org = get_visible_or_404(user, Organization.objects.all(), pk)
    authorize(user, Action.CHANGE, org)
    status, conflict_rows = 200, None
    if request.method == "POST":
        form = OrganizationForm(request.POST)
        if form.is_valid():
            try:
                orgs.organization_update(
                    actor=user, org=org, version=form.cleaned_data["version"], **form.service_kwargs()
                )
            except Conflict as exc:
                # Keep what the user typed, show what is saved now, and let them save again on purpose.
                current = Organization.objects.get(pk=org.pk)
                conflict_rows = _differences(form, current)
                data = request.POST.copy()
                data["version"] = str(current.version)
                form = OrganizationForm(data)
                form.is_valid()
                apply_errors(form, exc)
                status = exc.status
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("web:organization_detail", pk=org.pk)
        else:
            status = 422
    else:
        form = OrganizationForm(initial=_initial(org))
    context = {"org": org, "ancestors": _ancestors(org), "form": form, "conflict_rows": conflict_rows}
    return render(request, "web/organizations/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def organization_new_child(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    parent = get_visible_or_404(user, Organization.objects.all(), pk)
    authorize(user, Action.ADD_CHILD, parent)
    status = 200
    if request.method == "POST":
        form = NewChildForm(request.POST)
        if form.is_valid():
            try:
                child = orgs.organization_create(actor=user, parent=parent, **form.service_kwargs())
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The unit %(name)s was added.") % {"name": child.name})
                return redirect("web:organization_detail", pk=child.pk)
        else:
            status = 422
    else:
        form = NewChildForm(initial={"kind": orgs.default_kind_for_child(parent), "sort_order": 0})
    context = {"parent": parent, "ancestors": _ancestors(parent), "form": form}
    return render(request, "web/organizations/new_child.html", context, status=status)


@require_http_methods(["GET", "POST"])
def organization_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    org = get_visible_or_404(user, Organization.objects.all(), pk)
    authorize(user, Action.MOVE, org)
    candidates = units_allowing(user, Action.ADD_CHILD)
    # Shown but not choosable: the unit itself and its sub-units (the service refuses them too).
    inside = [o.pk for o in candidates if o.is_in_subtree_of(org)]
    status = 200
    if request.method == "POST":
        form = MoveForm(request.POST, candidates=candidates, disabled_ids=inside)
        if form.is_valid():
            try:
                moved = orgs.organization_move(
                    actor=user,
                    org=org,
                    new_parent=form.cleaned_data["parent"],
                    version=form.cleaned_data["version"],
                )
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("%(name)s now sits under %(parent)s.") % {"name": moved.name, "parent": moved.parent},
                )
                return redirect("web:organization_detail", pk=org.pk)
        else:
            status = 422
    else:
        form = MoveForm(
            initial={"parent": str(org.parent_id or ""), "version": org.version},
            candidates=candidates,
            disabled_ids=inside,
        )
    context = {"org": org, "ancestors": _ancestors(org), "form": form}
    return render(request, "web/organizations/move.html", context, status=status)


@require_http_methods(["GET", "POST"])
def organization_import(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not import_allowed(user):
        raise PermissionDenied
    report, status = None, 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = importer.organization_import(
                    actor=user, file=form.cleaned_data["file"], dry_run=form.cleaned_data["dry_run"]
                )
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                if report.ok and not form.cleaned_data["dry_run"]:
                    messages.success(request, _("Imported %(count)d units.") % {"count": report.created})
                status = 200 if report.ok else 422
        else:
            status = 422
    else:
        form = ImportForm()
    context = {"form": form, "report": report, "dry_run": form.is_bound and form.cleaned_data.get("dry_run")}
    return render(request, "web/organizations/import.html", context, status=status)


@require_safe
def organization_import_template(request: HttpRequest) -> HttpResponse:
    """An empty workbook with the columns the importer reads, in the reader's language, and example rows."""
    if not import_allowed(request.user):
        raise PermissionDenied
    response = HttpResponse(
        importer.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="luoshi-organizations-template.xlsx"'
    return response
