"""The start page: where the signed-in person works, what they can see, and where to go next."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from luoshi import access
from luoshi.access.policy import can_view_audit
from luoshi.core import workdays
from luoshi.organizations.models import Role, User
from luoshi.web import selectors, tasklists
from luoshi.web.views.organizations import import_allowed, people_manageable_units


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    # Leaders land on the cockpit; ?stay=1 shows them this page.
    if "stay" not in request.GET and any(s.role == Role.LEADER for s in access.scopes_of(user)):
        return redirect("web:cockpit")
    units = selectors.visible_organizations(user)
    context = {
        "memberships": selectors.visible_memberships(user, user),  # type: ignore[arg-type]
        "unit_count": len(units),
        "people_count": access.visible(user, User.objects.filter(is_active=True)).count(),
        "may_add_people": bool(people_manageable_units(user, units)),
        "may_import": import_allowed(user, units),
        "may_view_audit": can_view_audit(user),
        "recent": selectors.events_by(user),
        "work": tasklists.my_work_counts(user=user, today=workdays.today()),
    }
    return render(request, "web/home.html", context)
