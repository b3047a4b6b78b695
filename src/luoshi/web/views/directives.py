"""Directive pages: the list, registering a directive, the directive as a tree of clauses and tasks,
adding a clause, and creating (and assigning) a task from a clause."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from luoshi.core import workdays
from luoshi.core.errors import LuoshiError
from luoshi.directives import rules as directive_rules
from luoshi.directives import services as directive_services
from luoshi.directives.models import Clause, Directive, DirectiveKind, FocusArea
from luoshi.directives.selectors import visible_directives
from luoshi.organizations import selectors as org_selectors
from luoshi.organizations.models import Organization
from luoshi.tasks import rules as task_rules
from luoshi.tasks import services as task_services
from luoshi.tasks import workflow
from luoshi.web import selectors, tasklists
from luoshi.web.forms import apply_errors
from luoshi.web.shortcuts import authorize, get_visible_or_404, render_list
from luoshi.web.tasklist_forms import ClauseForm, DirectiveForm, TaskCreateForm


def registrable_units(user: Any, units: list[Organization] | None = None) -> list[Organization]:
    """Visible units in whose name ``user`` may register directives."""
    units = selectors.visible_organizations(user) if units is None else units
    return [o for o in units if directive_rules.may_register_for(user, o)]


def assigning_units(user: Any, units: list[Organization]) -> list[Organization]:
    """Visible units in whose name ``user`` may create and assign tasks."""
    return [o for o in units if task_rules.may_assign_from(user, o)]


def _below_any(units: list[Organization], roots: list[Organization]) -> list[Organization]:
    paths = [r.path for r in roots]
    return [o for o in units if any(o.path.startswith(p) for p in paths)]


@require_safe
def directive_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    q = request.GET.get("q", "").strip()[:100]
    qs = visible_directives(user).order_by("-issued_on", "-pk")
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(doc_number__icontains=q) | Q(issuing_body__icontains=q))
    page = Paginator(qs, settings.LUOSHI_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "q": q,
        "page": page,
        "rows": tasklists.directive_rows(user=user, directives=list(page.object_list)),
        "filters": filters.urlencode(),
        "may_add": bool(registrable_units(user)),
    }
    return render_list(request, "web/directives/list.html", "web/directives/_list.html", context)


@require_http_methods(["GET", "POST"])
def directive_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = registrable_units(user)
    if not units:
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = DirectiveForm(request.POST, organizations=units)
        if form.is_valid():
            try:
                directive = directive_services.directive_create(actor=user, **form.cleaned_data)  # type: ignore[arg-type]
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Directive registered. Now add its clauses."))
                return redirect("web:directive_detail", pk=directive.pk)
        else:
            status = 422
    else:
        initial = {"issuing_org": str(units[0].pk), "issued_on": workdays.today()}
        form = DirectiveForm(initial=initial, organizations=units)
    return render(request, "web/directives/new.html", {"form": form}, status=status)


@require_safe
def directive_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    directive = get_visible_or_404(user, Directive.objects.select_related("issuing_org"), pk)
    branches = tasklists.directive_tree(user=user, directive=directive)
    clauses = [b for b in branches if b.summary is not None]
    context = {
        "directive": directive,
        "branches": branches,
        "clause_count": len(clauses),
        "task_count": sum(len(b.nodes) for b in branches),
        "undecomposed": sum(1 for b in clauses if b.summary and b.summary.not_decomposed),
        "may_add_clause": directive_rules.can_on_directive(user, "add_clause", directive),
        "may_add_task": bool(assigning_units(user, selectors.visible_organizations(user))),
        "today": workdays.today(),
    }
    return render(request, "web/directives/detail.html", context)


@require_http_methods(["GET", "POST"])
def clause_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    directive = get_visible_or_404(user, Directive.objects.select_related("issuing_org"), pk)
    authorize(user, "add_clause", directive)
    areas = list(FocusArea.objects.filter(is_active=True))
    status = 200
    if request.method == "POST":
        form = ClauseForm(request.POST, focus_areas=areas)
        if form.is_valid():
            try:
                clause = directive_services.clause_add(actor=user, directive=directive, **form.cleaned_data)  # type: ignore[arg-type]
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Clause %(number)s added.") % {"number": clause.ordinal})
                if "add_another" in request.POST:
                    return redirect("web:clause_new", pk=directive.pk)
                return _to_clause(directive, clause)
        else:
            status = 422
    else:
        form = ClauseForm(focus_areas=areas)
    return render(
        request, "web/directives/clause_new.html", {"form": form, "directive": directive}, status=status
    )


def _to_clause(directive: Directive, clause: Clause) -> HttpResponseRedirect:
    url = reverse("web:directive_detail", kwargs={"pk": directive.pk})
    return HttpResponseRedirect(f"{url}#clause-{clause.pk}")


@require_http_methods(["GET", "POST"])
def task_new(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    user = request.user
    directive = get_visible_or_404(user, Directive.objects.select_related("issuing_org"), pk)
    clause = (
        Clause.objects.select_related("focus_area", "directive").filter(pk=cid, directive=directive).first()
    )
    if clause is None:
        raise Http404
    units = selectors.visible_organizations(user)
    assigners = assigning_units(user, units)
    if not assigners:
        raise PermissionDenied
    form_kwargs = {
        "assigning_units": assigners,
        "lead_units": _below_any(units, assigners),
        "cooperating_units": units,
        "people": list(org_selectors.people_list(user).filter(is_active=True).order_by("display_name")),
    }
    status = 200
    if request.method == "POST":
        form = TaskCreateForm(request.POST, **form_kwargs)  # type: ignore[arg-type]
        if form.is_valid():
            try:
                task = _create(user, clause, form.service_kwargs(), assign=form.cleaned_data["assign_now"])
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Task “%(title)s” created.") % {"title": task.title})
                return _to_clause(directive, clause)
        else:
            status = 422
    else:
        default = directive.issuing_org if directive.issuing_org in assigners else assigners[0]
        initial = {
            "title": clause.text[:200],
            "assigning_org": str(default.pk),
            "start_on": workdays.today(),
            "requires_public_notice": directive.kind == DirectiveKind.INSPECTION,
        }
        form = TaskCreateForm(initial=initial, **form_kwargs)  # type: ignore[arg-type]
    context = {"form": form, "directive": directive, "clause": clause}
    return render(request, "web/directives/task_new.html", context, status=status)


@transaction.atomic
def _create(user: Any, clause: Clause, fields: dict[str, Any], *, assign: bool) -> Any:
    """Register the task and, when asked, send it on at once: both happen, or neither."""
    task = task_services.task_create(actor=user, clause=clause, **fields)
    if not assign:
        return task
    if task.lead_org_id == task.assigning_org_id:
        return workflow.task_start(actor=user, task=task, version=task.version)
    return workflow.task_assign(actor=user, task=task, version=task.version)
