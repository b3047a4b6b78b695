"""Drafting help pages: paste or upload a directive's text, then correct the proposed clauses (edit,
merge, split, drop, choose focus area, lead unit, deadline) and confirm them (``luoshi.drafting``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from luoshi import access
from luoshi.core import trees
from luoshi.core.errors import LuoshiError, NotFound
from luoshi.directives import rules as directive_rules
from luoshi.directives.models import Directive, FocusArea
from luoshi.directives.selectors import visible_directives
from luoshi.drafting import selectors, services
from luoshi.drafting.models import Draft, DraftStatus, FocusKeyword
from luoshi.organizations.models import Organization, User
from luoshi.tasks.models import ReportCadence

# Units offered as lead units beside the suggestions (those under the issuing unit), at most this many.
MAX_UNIT_CHOICES = 300
REASONS = {
    "named": gettext_lazy("named in the text"),
    "duties": gettext_lazy("its stated duties"),
    "history": gettext_lazy("took similar clauses before"),
}


def _directives(user: Any) -> list[Directive]:
    """The latest directives the user may add clauses to."""
    candidates = visible_directives(user).select_related("issuing_org").order_by("-issued_on", "-pk")[:200]
    return [d for d in candidates if directive_rules.can_on_directive(user, "add_clause", d)]


def _errors(exc: LuoshiError) -> list[str]:
    found = [str(m) for ms in exc.fields.values() for m in ms]
    return found or [str(exc.message)]


@require_http_methods(["GET", "POST"])
def draft_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # pages require login
    directives = _directives(user)
    chosen = request.POST.get("directive") or request.GET.get("directive") or ""
    text = request.POST.get("text", "")
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        directive = next((d for d in directives if str(d.pk) == chosen), None)
        if chosen and directive is None:
            raise Http404
        upload = request.FILES.get("file")
        try:
            source_name = ""
            if upload is not None:
                text = services.text_of_upload(name=upload.name or "", data=upload.read())
                source_name = upload.name or ""
            draft = services.draft_create(actor=user, text=text, directive=directive, source_name=source_name)
        except LuoshiError as exc:
            errors, status = _errors(exc), exc.status
        else:
            return redirect("web:draft_detail", pk=draft.pk)
    context = {
        "directives": directives,
        "chosen": chosen,
        "text": text[:200_000],
        "errors": errors,
        "drafts": selectors.drafts_of(user)[:20],
        "may_manage_keywords": directive_rules.may_manage_focus_areas(user),
    }
    return render(request, "web/drafting/new.html", context, status=status)


def _clauses_from_post(request: HttpRequest) -> list[dict[str, Any]]:
    post = request.POST
    count = int(post.get("count", "0") or 0) if (post.get("count", "0") or "0").isdigit() else 0
    clauses = []
    for i in range(min(count, 2000)):
        prefix = f"c{i}-"

        def number(name: str, prefix: str = prefix) -> int | None:
            value = post.get(prefix + name, "")
            return int(value) if value.isdigit() else None

        unit = post.get(prefix + "unit", "")
        others = [u for u in post.getlist(prefix + "others") if u.isdigit() and u != unit]
        clauses.append(
            {
                "text": post.get(prefix + "text", ""),
                "start": number("start"),
                "end": number("end"),
                "kind": post.get(prefix + "kind", "demand"),
                "heading": post.get(prefix + "heading", ""),
                "heading_index": number("heading_index"),
                "focus_area": post.get(prefix + "focus") or None,
                "units": ([int(unit)] if unit.isdigit() else []) + [int(u) for u in others],
                "unit_reasons": [],
                "due_on": post.get(prefix + "due") or None,
                "cadence": post.get(prefix + "cadence", ""),
                "ongoing": bool(post.get(prefix + "ongoing")),
                "include": bool(post.get(prefix + "include")),
            }
        )
    return clauses


def _unit_choices(user: Any, draft: Draft) -> dict[int, str]:
    suggested = {u for c in draft.proposal.get("clauses", []) for u in c.get("units", [])}
    qs = access.visible(user, Organization.objects.active())
    names = dict(qs.filter(pk__in=suggested).values_list("pk", "name"))
    if draft.directive is not None:
        root = draft.directive.issuing_org
        names.update(
            qs.filter(trees.subtree_q("path", root.path)).values_list("pk", "name")[:MAX_UNIT_CHOICES]
        )
    return names


@require_http_methods(["GET", "POST"])
def draft_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # pages require login
    try:
        draft = selectors.draft_get(user, pk)
    except NotFound as exc:
        raise Http404 from exc
    errors: list[str] = []
    status = 200
    if request.method == "POST" and draft.status == DraftStatus.OPEN:
        action = request.POST.get("action", "save")
        version = int(request.POST.get("version", "0") or 0)
        clauses = _clauses_from_post(request)
        directive = None
        chosen = request.POST.get("directive", "")
        if chosen:
            directive = next((d for d in _directives(user) if str(d.pk) == chosen), None)
            if directive is None:
                raise Http404
        try:
            if action.startswith("merge-"):
                index = int(action.removeprefix("merge-")) if action.removeprefix("merge-").isdigit() else -1
                clauses = services.merge_with_next(clauses, index)
            draft = services.draft_update(
                actor=user,
                draft=draft,
                version=version,
                clauses=clauses,
                directive=directive,
            )
            if action == "confirm":
                created = services.draft_confirm(
                    actor=user,
                    draft=draft,
                    version=draft.version,
                    create_tasks=bool(request.POST.get("create_tasks")),
                )
                messages.success(request, _("Created %(count)d clauses.") % {"count": len(created)})
                return redirect("web:directive_detail", pk=created[0].directive_id)
        except LuoshiError as exc:
            errors, status = _errors(exc), exc.status
            draft.refresh_from_db()
        else:
            messages.success(request, _("The draft is saved."))
            return redirect("web:draft_detail", pk=draft.pk)
    units = _unit_choices(user, draft)
    areas = list(FocusArea.objects.filter(is_active=True))
    area_names = {a.pk: a.name for a in areas}
    rows = []
    headings = draft.proposal.get("headings", [])
    shown = -1  # the last heading shown: each heading appears once, before its first clause
    for index, clause in enumerate(draft.proposal.get("clauses", [])):
        at = clause.get("heading_index")
        before = headings[shown + 1 : at + 1] if isinstance(at, int) and at > shown else []
        shown = max(shown, at) if isinstance(at, int) else shown
        suggested = [u for u in clause.get("units", []) if u in units]
        reasons = clause.get("unit_reasons") or []
        rows.append(
            {
                "index": index,
                "clause": clause,
                "lead": suggested[0] if suggested else None,
                "others": suggested[1:],
                "suggestions": [
                    (units[u], str(REASONS.get(reasons[n], "")) if n < len(reasons) else "")
                    for n, u in enumerate(clause.get("units", []))
                    if u in units
                ],
                "focus_name": area_names.get(clause.get("focus_area") or 0, ""),
                "is_last": index == len(draft.proposal.get("clauses", [])) - 1,
                "headings": before,
            }
        )
    context = {
        "draft": draft,
        "rows": rows,
        "units": sorted(units.items(), key=lambda item: item[1]),
        "areas": areas,
        "cadences": [(c.value, c.label) for c in ReportCadence if c != ReportCadence.NONE],
        "directives": _directives(user) if draft.directive_id is None else [],
        "context_sentences": draft.proposal.get("context", []),
        "errors": errors,
        "open": draft.status == DraftStatus.OPEN,
    }
    return render(request, "web/drafting/draft.html", context, status=status)


@require_http_methods(["GET", "POST"])
def focus_keywords(request: HttpRequest) -> HttpResponse:
    """The keywords that suggest each focus area: the area's own and those added here."""
    user: User = request.user  # type: ignore[assignment]  # pages require login
    if not directive_rules.may_manage_focus_areas(user):
        raise PermissionDenied
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("remove", "").isdigit():
                keyword = FocusKeyword.objects.filter(pk=int(request.POST["remove"])).first()
                if keyword is None:
                    raise Http404
                services.focus_keyword_remove(actor=user, keyword=keyword)
            else:
                area = FocusArea.objects.filter(pk=request.POST.get("area") or 0).first()
                if area is None:
                    raise Http404
                services.focus_keyword_add(actor=user, area=area, phrase=request.POST.get("phrase", ""))
        except LuoshiError as exc:
            errors, status = _errors(exc), exc.status
        else:
            return redirect("web:focus_keywords")
    areas = list(FocusArea.objects.filter(is_active=True).prefetch_related("drafting_keywords"))
    context = {"areas": areas, "errors": errors}
    return render(request, "web/drafting/keywords.html", context, status=status)
