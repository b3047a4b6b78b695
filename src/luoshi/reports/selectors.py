"""Reads of bulletins, narrowed by the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.core.errors import NotFound
from luoshi.reports.models import Bulletin


def visible_bulletins(user: Any) -> QuerySet[Bulletin]:
    return access.visible(user, Bulletin.objects.select_related("organization", "created_by", "issued_by"))


def get_bulletin(*, user: Any, pk: int) -> Bulletin:
    bulletin = visible_bulletins(user).filter(pk=pk).first()
    if bulletin is None:
        raise NotFound(_("Not found."))
    return bulletin
