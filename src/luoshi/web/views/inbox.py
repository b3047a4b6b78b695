"""Notification pages: the inbox, one's preferences, and for administrators the channels and the
deliveries that failed."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from luoshi.access.policy import can_administer_anything
from luoshi.core.errors import Conflict, LuoshiError, NotFound
from luoshi.notifications import selectors, services, wording
from luoshi.notifications.forms import ChannelForm, PreferenceForm
from luoshi.notifications.models import Channel, Delivery, DeliveryStatus
from luoshi.organizations.models import User
from luoshi.web.forms import apply_errors
from luoshi.web.shortcuts import authorize, get_visible_or_404, render_list, safe_next
from luoshi.web.views.organizations import people_manageable_units


def _me(request: HttpRequest) -> User:
    # LoginRequiredMiddleware lets only signed-in people reach these pages.
    return cast(User, request.user)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, settings.LUOSHI_PAGE_SIZE).get_page(request.GET.get("page"))


@require_safe
def notification_inbox(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    unread_only = request.GET.get("show") == "unread"
    page = _page(request, selectors.inbox(user, unread_only=unread_only))
    language = wording.language_of(user)
    rows = [(n, wording.render(n, language=language)) for n in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "unread_only": unread_only,
        "unread": selectors.unread_count(user),
        "filters": "show=unread" if unread_only else "",
        "is_admin": can_administer_anything(user),
    }
    return render_list(request, "notifications/inbox.html", "notifications/_inbox.html", context)


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification = selectors.get_notification(_me(request), pk)
    except NotFound as exc:
        raise Http404 from exc
    services.mark_read(actor=_me(request), notification=notification)
    return redirect(safe_next(request, request.POST.get("next"), "/notifications/"))


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(actor=_me(request))
    messages.success(request, _("Marked %(count)d notifications read.") % {"count": count})
    return redirect("web:notification_inbox")


@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    preference = services.preference_of(user)
    status = 200
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            try:
                services.preference_update(
                    actor=user, version=form.cleaned_data["version"], **form.service_kwargs()
                )
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("web:notification_preferences")
        else:
            status = 422
    else:
        initial = {f: getattr(preference, f) for f in services.PREFERENCE_FIELDS}
        form = PreferenceForm(initial={**initial, "version": preference.version if preference.pk else None})
    context = {"form": form, "has_email": bool(user.email)}
    return render(request, "notifications/preferences.html", context, status=status)


# --- administrators: channels and deliveries ------------------------------------------------------


def _admin_only(user: Any) -> None:
    if not can_administer_anything(user):
        raise PermissionDenied


@require_safe
def channel_list(request: HttpRequest) -> HttpResponse:
    _admin_only(_me(request))
    context = {"channels": list(selectors.channels(_me(request)))}
    return render(request, "notifications/channels.html", context)


def _channel_form_page(request: HttpRequest, channel: Channel | None) -> HttpResponse:
    user = _me(request)
    units = people_manageable_units(user)
    status = 200
    if request.method == "POST":
        form = ChannelForm(request.POST, units=units, editing=channel is not None)
        if form.is_valid():
            data = form.service_kwargs()
            try:
                if channel is None:
                    data.pop("clear_secret", None)
                    services.channel_create(actor=user, **data)
                else:
                    services.channel_update(
                        actor=user, channel=channel, version=form.cleaned_data["version"], **data
                    )
            except Conflict as exc:
                apply_errors(form, exc)
                status = exc.status
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("web:notification_channels")
        else:
            status = 422
    else:
        initial: dict[str, Any] = {"is_active": True, "max_per_minute": 20}
        if channel is not None:
            initial = {
                "name": channel.name,
                "kind": channel.kind,
                "url": channel.url,
                "organization": channel.organization_id,
                "is_active": channel.is_active,
                "max_per_minute": channel.max_per_minute,
                "version": channel.version,
            }
        form = ChannelForm(initial=initial, units=units, editing=channel is not None)
    context = {"form": form, "channel": channel, "allowlist": settings.LUOSHI_WEBHOOK_ALLOWLIST}
    return render(request, "notifications/channel_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def channel_new(request: HttpRequest) -> HttpResponse:
    _admin_only(_me(request))
    return _channel_form_page(request, None)


@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_visible_or_404(_me(request), Channel.objects.select_related("organization"), pk)
    authorize(_me(request), "manage", channel)
    return _channel_form_page(request, channel)


@require_POST
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_visible_or_404(_me(request), Channel.objects.select_related("organization"), pk)
    try:
        services.channel_delete(actor=_me(request), channel=channel, version=_version(request))
    except LuoshiError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The channel %(name)s was removed.") % {"name": channel.name})
    return redirect("web:notification_channels")


@require_safe
def delivery_list(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    _admin_only(user)
    status = request.GET.get("status", DeliveryStatus.FAILED)
    if status not in DeliveryStatus.values and status != "all":
        status = DeliveryStatus.FAILED
    page = _page(request, selectors.deliveries(user, status=None if status == "all" else status))
    context = {
        "page": page,
        "status": status,
        "statuses": DeliveryStatus.choices,
        "filters": f"status={status}",
    }
    return render_list(request, "notifications/deliveries.html", "notifications/_deliveries.html", context)


@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_visible_or_404(_me(request), Delivery.objects.all(), pk)
    try:
        services.delivery_retry(actor=_me(request), delivery_row=row, version=_version(request))
    except LuoshiError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The delivery will be tried again within a few seconds."))
    return redirect(safe_next(request, request.POST.get("next"), "/notifications/deliveries/"))
