"""My work: everything the signed-in person must act on, one section per kind of act."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from luoshi.core import workdays
from luoshi.web import tasklists
from luoshi.web.views import lookbacks, supervision


@require_safe
def mywork(request: HttpRequest) -> HttpResponse:
    today = workdays.today()
    sections = tasklists.my_work(user=request.user, today=today)
    # Urgings wait for an answer by a date, so they come first.
    sections.insert(0, supervision.mywork_section(request.user, today))
    # Look-backs due, for those who record them.
    if (due := lookbacks.mywork_section(request.user, today)) is not None:
        sections.append(due)
    context = {
        "sections": sections,
        "today": today,
        # Reports are the lead unit's to write; for anyone else a missing report is to chase.
        "lead_units": tasklists.lead_unit_ids(request.user),
        "nothing_to_do": not any(s.total for s in sections),
    }
    return render(request, "web/mywork/mywork.html", context)
