"""Bulletin pages: the list with a form to generate one, a bulletin's content, issuing and downloads."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from luoshi.config.routers import use_replica_reads
from luoshi.core import workdays
from luoshi.core.errors import LuoshiError, NotFound, ValidationFailed
from luoshi.evaluation.periods import Period
from luoshi.organizations.models import User
from luoshi.reports import documents, rules, selectors, services
from luoshi.reports.models import BulletinStatus
from luoshi.reports.views import download_response
from luoshi.web import selectors as web_selectors
from luoshi.web.forms import apply_errors
from luoshi.web.shortcuts import authorize


def _user(request: HttpRequest) -> User:
    """Pages run behind the sign-in middleware: the user is a signed-in person."""
    return cast(User, request.user)


class GenerateForm(forms.Form):
    org = forms.TypedChoiceField(label=gettext_lazy("Unit"), coerce=int)
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=10,
        help_text=gettext_lazy("e.g. 2024-Q1, 2024-03 or 2024-W09"),
    )
    demands = forms.CharField(
        label=gettext_lazy("Further demands"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line; they follow the demands generated for lagging units."),
    )

    def clean_period(self) -> Period:
        try:
            return Period.parse(self.cleaned_data["period"])
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.fields["period"]) from exc


def _issuing_units(user: Any) -> list[Any]:
    return [u for u in web_selectors.visible_organizations(user) if rules.may_issue_for(user, u)]


def _form(user: Any, data: Any = None) -> GenerateForm:
    form = GenerateForm(data, initial={"period": Period.containing("quarter", workdays.today()).key})
    cast(forms.TypedChoiceField, form.fields["org"]).choices = [(u.pk, u.name) for u in _issuing_units(user)]
    return form


def _list(request: HttpRequest, form: GenerateForm, status: int = 200) -> HttpResponse:
    bulletins = selectors.visible_bulletins(request.user)
    page = Paginator(bulletins, settings.LUOSHI_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "bulletins/list.html",
        {
            "page": page,
            "form": form,
            "may_generate": bool(cast(forms.TypedChoiceField, form.fields["org"]).choices),
        },
        status=status,
    )


@require_safe
def bulletin_list(request: HttpRequest) -> HttpResponse:
    return _list(request, _form(request.user))


@require_POST
def bulletin_generate(request: HttpRequest) -> HttpResponse:
    form = _form(request.user, request.POST)
    if form.is_valid():
        org = next(u for u in _issuing_units(request.user) if u.pk == form.cleaned_data["org"])
        try:
            bulletin = services.bulletin_generate(
                actor=_user(request),
                org=org,
                period=form.cleaned_data["period"],
                demands=form.cleaned_data["demands"],
            )
        except LuoshiError as exc:
            if exc.status == 403:
                raise PermissionDenied from exc
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Version %(number)d was generated from the record.") % {"number": bulletin.number}
            )
            return redirect("web:bulletin_detail", pk=bulletin.pk)
    return _list(request, form, status=422)


def _get(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.get_bulletin(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


@require_safe
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _get(request, pk)
    versions = selectors.visible_bulletins(request.user).filter(
        organization=bulletin.organization, period_key=bulletin.period_key
    )
    return render(
        request,
        "bulletins/detail.html",
        {
            "bulletin": bulletin,
            "content": bulletin.content,
            "blocks": documents.sections(bulletin.content),
            "versions": versions,
            "may_issue": bulletin.status == BulletinStatus.DRAFT
            and rules.may_issue_for(request.user, bulletin.organization),
            "formats": ["docx", "xlsx", "pdf"],
            "pdf_available": documents.cjk_font_path() is not None,
        },
    )


@require_POST
def bulletin_issue(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _get(request, pk)
    authorize(request.user, "issue", bulletin)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        issued = services.bulletin_issue(actor=_user(request), bulletin=bulletin, version=version)
    except LuoshiError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Issued as %(number)s.") % {"number": issued.doc_number})
    return redirect("web:bulletin_detail", pk=pk)


@require_http_methods(["GET", "HEAD"])
@use_replica_reads
def bulletin_download(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    if file_format not in documents.RENDERERS:
        raise Http404
    bulletin = _get(request, pk)
    try:
        return download_response(bulletin, file_format)
    except documents.DocumentUnavailable as exc:
        messages.error(request, str(exc.message))
        return redirect("web:bulletin_detail", pk=pk)
