"""People pages: the list, a person, changing a person and their roles, adding a person."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from luoshi import access
from luoshi.access import Action, policy
from luoshi.access.policy import can_view_audit
from luoshi.core.errors import Conflict, LuoshiError
from luoshi.duties import selectors as duty_selectors
from luoshi.duties.forms import DutyGrantForm, DutyRevokeForm
from luoshi.organizations import selectors as org_selectors
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Membership, User
from luoshi.web import selectors
from luoshi.web.forms import (
    BaseMembershipFormSet,
    PeopleFilterForm,
    PersonCreateForm,
    PersonForm,
    apply_errors,
    membership_formset,
)
from luoshi.web.shortcuts import authorize, get_visible_or_404, render_list
from luoshi.web.views.organizations import people_manageable_units

PERSON_FIELDS = ("display_name", "email", "phone", "language", "is_active")


@require_safe
def person_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = selectors.visible_organizations(user)
    form = PeopleFilterForm(request.GET, organizations=units)
    query, within = "", None
    if form.is_valid():
        query, within = form.cleaned_data["q"], form.cleaned_data["org"]
    people = org_selectors.people_list(user, within, query, subtree=True)
    paginator = Paginator(people, settings.LUOSHI_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "filters": filters.urlencode(),
        "may_add": bool(access.allowed(user, Action.MANAGE_PEOPLE, units)),
    }
    return render_list(request, "web/people/list.html", "web/people/_list.html", context)


@require_safe
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = get_visible_or_404(user, User.objects.all(), pk)
    may_change = access.can(user, Action.CHANGE, person)
    may_grant = policy.can_grant_duty(user, person)
    context = {
        "person": person,
        "memberships": selectors.visible_memberships(user, person),
        "may_change": may_change,
        "events": selectors.recent_events(person) if may_change or can_view_audit(user) else None,
        "duty_grant": duty_selectors.grant_of(person),
        "is_superuser_admin": person.is_superuser,
        "may_grant_duty": may_grant,
        "grant_form": DutyGrantForm() if may_grant else None,
        "revoke_form": DutyRevokeForm() if may_grant else None,
    }
    return render(request, "web/people/detail.html", context)


def _manages(user: Any, person: User) -> bool:
    """Whether ``user`` may change ``person``'s roles and activation: their administrator, never themselves
    (superusers included: nobody grants themselves a role)."""
    return policy.can_manage_person(user, person)


def _membership_initial(memberships: list[Membership]) -> list[dict[str, Any]]:
    return [{"organization": str(m.organization_id), "role": m.role, "title": m.title} for m in memberships]


@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = get_visible_or_404(user, User.objects.all(), pk)
    authorize(user, Action.CHANGE, person)
    manages = _manages(user, person)
    units = people_manageable_units(user) if manages else []
    unit_ids = {o.pk for o in units}
    current = list(Membership.objects.filter(user=person).select_related("organization"))
    editable = [m for m in current if m.organization_id in unit_ids]
    # Roles in units the editor does not administer are kept as they are and shown read-only.
    kept = [m for m in current if m.organization_id not in unit_ids]
    status = 200
    formset: BaseMembershipFormSet | None = None
    if request.method == "POST":
        form = PersonForm(request.POST, may_deactivate=manages)
        if manages:
            formset = membership_formset(
                request.POST,
                organizations=units,
                initial=_membership_initial(editable),
                require_one=not kept and not user.is_superuser,
            )
        # Both are checked, so every mistake shows at once.
        valid = [form.is_valid(), formset is None or formset.is_valid()]
        if all(valid):
            memberships = None
            if formset is not None:
                memberships = [(m.organization, m.role, m.title) for m in kept] + formset.memberships()
            try:
                orgs.person_update(
                    actor=user,
                    person=person,
                    version=form.cleaned_data["version"],
                    memberships=memberships,
                    **form.service_kwargs(),
                )
            except Conflict as exc:
                data = request.POST.copy()
                data["version"] = str(User.objects.values_list("version", flat=True).get(pk=person.pk))
                form = PersonForm(data, may_deactivate=manages)
                form.is_valid()
                apply_errors(form, exc)
                status = exc.status
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("web:person_detail", pk=person.pk)
        else:
            status = 422
    else:
        initial = {field: getattr(person, field) for field in PERSON_FIELDS} | {"version": person.version}
        form = PersonForm(initial=initial, may_deactivate=manages)
        if manages:
            formset = membership_formset(organizations=units, initial=_membership_initial(editable))
    context = {
        "person": person,
        "form": form,
        "formset": formset,
        "kept": kept,
        "self_edit": person.pk == user.pk,
    }
    return render(request, "web/people/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def person_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = people_manageable_units(user)
    if not units:
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = PersonCreateForm(request.POST)
        formset = membership_formset(request.POST, organizations=units, require_one=not user.is_superuser)
        if all([form.is_valid(), formset.is_valid()]):
            try:
                person = orgs.person_create(
                    actor=user, memberships=formset.memberships(), **form.service_kwargs()
                )
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("%(name)s was added.") % {"name": person})
                return redirect("web:person_detail", pk=person.pk)
        else:
            status = 422
    else:
        form = PersonCreateForm()
        preset = request.GET.get("org", "")
        initial = [{"organization": preset}] if preset in {str(o.pk) for o in units} else []
        formset = membership_formset(organizations=units, initial=initial)
    return render(request, "web/people/new.html", {"form": form, "formset": formset}, status=status)
