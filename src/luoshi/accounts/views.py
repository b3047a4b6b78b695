"""Pages: the second step, setting up an authenticator app, account security, password change, and the
administrators' pages for other people's sign-in (reset a second factor, end sessions)."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from luoshi.access import policy
from luoshi.accounts import selectors, services
from luoshi.accounts.forms import CodeForm, EnrolForm, PasswordChangeForm, PeopleSearchForm
from luoshi.accounts.middleware import OWES_SECOND_STEP, owed
from luoshi.accounts.models import TotpDevice
from luoshi.accounts.sessionkeys import ENROLLED, PASSWORD_CHANGED_AT
from luoshi.core.errors import LuoshiError, NotAllowed, NotFound, ValidationFailed
from luoshi.organizations import selectors as org_selectors
from luoshi.organizations.models import User
from luoshi.web.shortcuts import safe_next

# Fewer recovery codes than this left: the person is told to print a new sheet.
RECOVERY_CODES_LOW = 3


def _next(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next"), reverse("web:home"))


def _rotate_session_key(request: HttpRequest) -> None:
    """A new session key once the session gains rights (the second step passed), and its live row follows."""
    old = request.session.session_key
    request.session.cycle_key()
    services.session_rekeyed(old_key=old, new_key=request.session.session_key)


def _apply_errors(form: Any, exc: LuoshiError) -> None:
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, str(exc.message))


# --- the second step ------------------------------------------------------------------------------


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def second_step(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if owed(request) != OWES_SECOND_STEP:
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = services.second_step_verify(user=user, code=form.cleaned_data["code"])
        if outcome.device is not None:
            django_otp.login(request, outcome.device)
            _rotate_session_key(request)
            left = outcome.recovery_codes_left
            if left is not None:
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(count)d left. "
                        "Print a new sheet on your account security page."
                    )
                    % {"count": left},
                )
            return redirect(_next(request))
        status = 400
        if outcome.retry_at is not None:
            seconds = max(1, int((outcome.retry_at - timezone.now()).total_seconds()) + 1)
            form.add_error(
                "code",
                _("Too many wrong codes. Wait %(seconds)d seconds, then try again.") % {"seconds": seconds},
            )
        else:
            form.add_error("code", _("That code is not right, or it was used already."))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "accounts/second_step.html",
        {"form": form, "next": _next(request)},
        status=status,
    )


# --- setting up an authenticator app --------------------------------------------------------------


def _qr_svg(url: str) -> str:
    """The QR code as inline SVG (no script, no style attribute, so the page satisfies a strict CSP)."""
    code = segno.make(url, error="m")
    return str(
        code.svg_inline(scale=4, border=4, dark="#000", light="#fff", svgclass="qr-code", title=_("QR code"))
    )


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the secret), confirm with a code; then the recovery codes, shown once.

    Replacing an app needs a session that passed the second step with the old one: someone who knows
    only the password cannot swap in their own phone.
    """
    user: Any = request.user
    enrolled = selectors.has_second_factor(user)
    if enrolled and not user.is_verified():
        return redirect(f"{reverse('accounts:second_step')}?next={reverse('accounts:enrol')}")
    form = EnrolForm(request.POST or None)
    status = 200
    if request.method == "POST" and request.POST.get("restart"):
        services.totp_enrol_start(user=user)
        form = EnrolForm()
    elif request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_enrol_confirm(
                user=user,
                device_id=form.cleaned_data["device"],
                code=form.cleaned_data["code"],
                current_key=request.session.session_key,
            )
        except ValidationFailed as exc:
            _apply_errors(form, exc)
            status = 400
        else:
            confirmed = TotpDevice.objects.get(user=user, confirmed=True)
            django_otp.login(request, confirmed)
            _rotate_session_key(request)
            request.session[ENROLLED] = True
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next(request), "just_enrolled": True},
            )
    elif request.method == "POST":
        status = 400
    device = services.pending_totp(user) or services.totp_enrol_start(user=user)
    if not form.is_bound:
        form = EnrolForm(initial={"device": device.pk})
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr": _qr_svg(device.config_url(settings.LUOSHI_TOTP_ISSUER)),
        "secret": _grouped(secret),
        "issuer": settings.LUOSHI_TOTP_ISSUER,
        "replacing": enrolled,
        "required": selectors.two_factor_required(),
        "next": _next(request),
    }
    return render(request, "accounts/enrol.html", context, status=status)


@never_cache
@require_POST
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    try:
        codes = services.recovery_codes_renew(user=request.user)
    except ValidationFailed as exc:
        messages.error(request, str(exc.message))
        return redirect("accounts:security")
    return render(
        request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:security")}
    )


# --- the person's own account security ------------------------------------------------------------


@require_safe
def security(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    device = selectors.totp_device(user)
    changed = selectors.password_changed_at(user)
    context = {
        "device": device,
        "recovery_left": selectors.recovery_codes_left(user) if device else 0,
        "recovery_low": RECOVERY_CODES_LOW,
        "required": selectors.two_factor_required(),
        "password_changed_at": changed,
        "password_expires_at": selectors.password_expires_at(user, changed),
        "sessions": selectors.sessions_of(user),
        "current_key": request.session.session_key,
        "manages_people": _manages_anyone(user),
    }
    return render(request, "accounts/security.html", context)


@require_POST
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.session_end(user=request.user, session_id=pk, current_key=request.session.session_key)
    except ValidationFailed as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("That session has ended."))
    return redirect("accounts:security")


@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    count = services.sessions_end_others(user=request.user, current_key=request.session.session_key)
    messages.success(request, _("Signed out of %(count)d other sessions.") % {"count": count})
    return redirect("accounts:security")


@sensitive_post_parameters("old_password", "new_password", "new_password_again")
@never_cache
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.password_change(
                    user=user,
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                    current_key=request.session.session_key,
                )
            except ValidationFailed as exc:
                _apply_errors(form, exc)
            else:
                old_key = request.session.session_key
                # Keeps this session signed in (the others ended); it also gives the session a new key.
                update_session_auth_hash(request, user)
                services.session_rekeyed(old_key=old_key, new_key=request.session.session_key)
                request.session[PASSWORD_CHANGED_AT] = timezone.now().timestamp()
                messages.success(request, _("Your password has been changed."))
                return redirect(_next(request) if request.POST.get("next") else reverse("accounts:security"))
    expires = selectors.password_expires_at(user)
    context = {
        "form": form,
        "expired": expires is not None and expires <= timezone.now(),
        "set_for_you": settings.LUOSHI_PASSWORD.get("change_after_reset")
        and selectors.password_set_by_someone_else(user),
        "next": safe_next(request, request.POST.get("next") or request.GET.get("next"), ""),
    }
    return render(request, "accounts/password_change.html", context, status=status)


# --- administrators: other people's sign-in -------------------------------------------------------


def _manages_anyone(user: Any) -> bool:
    return policy.can_manage_duties(user)


@require_safe
def people_security(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not _manages_anyone(user):
        raise PermissionDenied
    form = PeopleSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    people = (
        org_selectors.people_list(user, None, query or None, subtree=True)
        .annotate(
            has_second_factor=Exists(TotpDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            session_count=Count("live_sessions", distinct=True),
        )
        .order_by("username")
    )
    page = Paginator(people, settings.LUOSHI_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "filters": urlencode({"q": query}) if query else "",
        "may_end_everyone": policy.can_manage_duties(user),
        "required": selectors.two_factor_required(),
    }
    return render(request, "accounts/people.html", context)


def _managed_person(request: HttpRequest, pk: int) -> User:
    person = User.objects.filter(pk=pk).first()
    if person is None:
        raise Http404
    try:
        services._require_manager(request.user, person)
    except NotFound as exc:
        raise Http404 from exc
    except NotAllowed as exc:
        raise PermissionDenied from exc
    return person


@require_safe
def person_security(request: HttpRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    context = {
        "person": person,
        "device": selectors.totp_device(person),
        "recovery_left": selectors.recovery_codes_left(person),
        "sessions": selectors.sessions_of(person),
        "password_changed_at": selectors.password_changed_at(person),
    }
    return render(request, "accounts/person_security.html", context)


@require_POST
def person_second_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    services.second_factor_reset(actor=request.user, person=person)
    messages.success(
        request,
        _("%(person)s's second factor was removed and they were signed out everywhere.") % {"person": person},
    )
    return redirect("accounts:person_security", pk=person.pk)


@require_POST
def person_sessions_end(request: HttpRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    count = services.person_sessions_end(
        actor=request.user, person=person, current_key=request.session.session_key
    )
    messages.success(
        request, _("%(person)s was signed out of %(count)d sessions.") % {"person": person, "count": count}
    )
    return redirect("accounts:person_security", pk=person.pk)


@require_POST
def sessions_end_everyone(request: HttpRequest) -> HttpResponse:
    if not policy.can_manage_duties(request.user):
        raise PermissionDenied
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that everyone will be signed out."))
        return redirect("accounts:people")
    count = services.sessions_end_everyone(actor=request.user, current_key=request.session.session_key)
    messages.success(request, _("Everyone else was signed out (%(count)d sessions).") % {"count": count})
    return redirect("accounts:people")
