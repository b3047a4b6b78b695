"""Separation of duties: who holds which duty, and granting or revoking one from a person's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from luoshi.access import policy
from luoshi.core.errors import LuoshiError
from luoshi.duties import selectors, services
from luoshi.duties.forms import DutyGrantForm, DutyRevokeForm
from luoshi.duties.models import Duty
from luoshi.organizations.models import User
from luoshi.web.shortcuts import get_visible_or_404


@require_safe
def duty_list(request: HttpRequest) -> HttpResponse:
    """The three duties and their holders, with the latest grants and revocations.

    Shown to the holders of the three duties, who answer for the separation between them.
    """
    user = request.user
    if not policy.duty_of(user):
        raise PermissionDenied
    grants = list(selectors.holders())
    by_duty = [(duty, [g for g in grants if g.duty == duty.value]) for duty in Duty]
    # Accounts that cannot sign in (the sweep acts as one) administer nothing by hand; not listed.
    superusers = list(
        User.objects.filter(is_superuser=True, is_active=True)
        .exclude(pk__in=[g.user_id for g in grants])
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    )
    context = {
        "by_duty": by_duty,
        "superusers": superusers,
        "history": selectors.history(),
        "may_manage": policy.can_manage_duties(user),
    }
    return render(request, "web/duties/list.html", context)


@require_POST
def duty_grant(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = get_visible_or_404(user, User.objects.all(), pk)
    if not policy.can_grant_duty(user, person):
        raise PermissionDenied
    form = DutyGrantForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a duty."))
        return redirect("web:person_detail", pk=person.pk)
    try:
        grant = services.duty_grant(
            actor=user, person=person, duty=form.cleaned_data["duty"], reason=form.cleaned_data["reason"]
        )
    except LuoshiError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("%(name)s is now the %(duty)s.") % {"name": person, "duty": grant.get_duty_display()}
        )
    return redirect("web:person_detail", pk=person.pk)


@require_POST
def duty_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = get_visible_or_404(user, User.objects.all(), pk)
    if not policy.can_grant_duty(user, person):
        raise PermissionDenied
    form = DutyRevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        grant = services.duty_revoke(actor=user, person=person, reason=reason)
    except LuoshiError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("%(name)s no longer holds the %(duty)s duty.")
            % {"name": person, "duty": grant.get_duty_display()},
        )
    return redirect("web:person_detail", pk=person.pk)
