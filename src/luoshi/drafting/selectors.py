"""What the analyser needs to know from the database, read in a few queries: focus areas and their
keywords, the units the author can see with their duties, and the units that took similar clauses."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models

from luoshi import access
from luoshi.directives.models import FocusArea
from luoshi.drafting.analysis import AreaTerms, PastClause, UnitTerms, content_words
from luoshi.drafting.models import Draft, DraftStatus, FocusKeyword
from luoshi.organizations.models import Organization
from luoshi.tasks.models import Task

# How many units and earlier clauses are compared with a text; bounded so analysis stays quick.
MAX_UNITS = 3000
MAX_HISTORY = 500


def area_terms() -> list[AreaTerms]:
    extra: dict[int, list[str]] = defaultdict(list)
    for area_id, phrase in FocusKeyword.objects.values_list("area_id", "phrase"):
        extra[area_id].append(phrase)
    return [
        AreaTerms(area.pk, area.code, area.name, tuple([*area.keyword_list(), *extra[area.pk]]))
        for area in FocusArea.objects.filter(is_active=True)
    ]


def unit_terms(user: Any) -> list[UnitTerms]:
    rows = (
        access.visible(user, Organization.objects.active())
        .order_by("depth", "sort_order", "pk")
        .values_list("pk", "name", "short_name", "duties")[:MAX_UNITS]
    )
    return [
        UnitTerms(
            id=pk,
            name=name,
            names=tuple(n for n in (name, short_name) if n and len(n) >= 2),
            duty_words=content_words(duties) if duties else frozenset(),
        )
        for pk, name, short_name, duties in rows
    ]


def past_clauses(user: Any) -> list[PastClause]:
    rows = (
        access.visible(user, Task.objects.filter(clause__isnull=False, parent__isnull=True))
        .order_by("-pk")
        .values_list("clause__text", "lead_org_id")[:MAX_HISTORY]
    )
    return [PastClause(words=content_words(text), unit_id=unit_id) for text, unit_id in rows]


def drafts_of(user: Any) -> models.QuerySet[Draft]:
    return access.visible(user, Draft.objects.select_related("directive")).filter(status=DraftStatus.OPEN)


def draft_get(user: Any, pk: int) -> Draft:
    from django.utils.translation import gettext as _

    from luoshi.core.errors import NotFound

    draft = access.visible(user, Draft.objects.select_related("directive__issuing_org")).filter(pk=pk).first()
    if draft is None:
        raise NotFound(_("Not found."))
    return draft
