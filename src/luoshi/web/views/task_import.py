"""Importing a task list workbook under a directive: upload, preview every row and problem, confirm
unknown units from suggestions, then import all or nothing (``luoshi.tasks.importer``).

The uploaded file is kept in the shared cache (Redis in production) between the preview and the import,
under a random token remembered in the uploader's session, so that confirming does not mean uploading
again, whichever web machine the confirmation reaches; it expires after ``KEEP_SECONDS``.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from luoshi.core.errors import LuoshiError
from luoshi.directives.models import Directive
from luoshi.tasks import rules as task_rules
from luoshi.tasks.importer import ImportReport, task_import
from luoshi.web.shortcuts import get_visible_or_404

SESSION_KEY = "task_import_files"
TOKEN_LENGTH = 32
# How long an uploaded list waits for its confirmation.
KEEP_SECONDS = 2 * 3600


class TaskListUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Task list (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Choose an Excel workbook ending in .xlsx."))
        return upload


def _cache_key(token: str) -> str:
    return f"luoshi:task-import:{token}"


def _keep(request: HttpRequest, data: bytes, name: str) -> str:
    token = secrets.token_hex(TOKEN_LENGTH // 2)
    cache.set(_cache_key(token), data, KEEP_SECONDS)
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept[token] = name
    request.session[SESSION_KEY] = kept
    return token


def _kept(request: HttpRequest, token: str) -> tuple[bytes, str] | None:
    name = request.session.get(SESSION_KEY, {}).get(token)
    if name is None or not token.isalnum():
        return None
    data = cache.get(_cache_key(token))
    return None if data is None else (data, name)


def _forget(request: HttpRequest, token: str) -> None:
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept.pop(token, None)
    request.session[SESSION_KEY] = kept
    cache.delete(_cache_key(token))


def _aliases(request: HttpRequest) -> dict[str, int]:
    """``alias_text_N`` (a unit name as written) with ``alias_unit_N`` (the unit chosen for it)."""
    aliases: dict[str, int] = {}
    for key, text in request.POST.items():
        if key.startswith("alias_text_"):
            unit = request.POST.get("alias_unit_" + key.removeprefix("alias_text_"), "")
            if unit.isdigit():
                aliases[str(text)] = int(unit)
    return aliases


@require_http_methods(["GET", "POST"])
def task_import_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    directive = get_visible_or_404(user, Directive.objects.select_related("issuing_org"), pk)
    if not task_rules.may_assign_from(user, directive.issuing_org):
        raise PermissionDenied
    form = TaskListUploadForm()
    report: ImportReport | None = None
    token = ""
    status = 200
    if request.method == "POST":
        token = request.POST.get("token", "")
        aliases = _aliases(request)
        if token:
            kept = _kept(request, token)
            if kept is None:
                messages.error(request, _("The uploaded file has expired. Upload it again."))
                return redirect("web:task_import", pk=directive.pk)
            source, name = kept
        else:
            form = TaskListUploadForm(request.POST, request.FILES)
            if not form.is_valid():
                return render(
                    request, "web/task_import/import.html", {"directive": directive, "form": form}, status=422
                )
            upload = form.cleaned_data["file"]
            data = upload.read()
            name = upload.name
            token = _keep(request, data, name)
            source = data
        confirm = request.POST.get("action") == "import"
        try:
            report = task_import(
                actor=user,  # type: ignore[arg-type]
                directive=directive,
                file=source,
                dry_run=not confirm,
                unit_aliases=aliases,
            )
        except LuoshiError as exc:
            messages.error(request, str(exc.message))
            return redirect("web:directive_detail", pk=directive.pk)
        report.file_name = name
        if report.ok and not report.dry_run:
            _forget(request, token)
            messages.success(request, _("Imported %(count)d tasks.") % {"count": report.created})
            return redirect("web:directive_detail", pk=directive.pk)
        status = 200 if report.ok else 422
    context = {
        "directive": directive,
        "form": form,
        "report": report,
        "token": token,
        "suggestions": report.suggestions if report else [],
    }
    return render(request, "web/task_import/import.html", context, status=status)
