"""Reading who holds which duty."""

from __future__ import annotations

from django.db.models import QuerySet

from luoshi.duties.models import DutyGrant
from luoshi.organizations.models import User


def holders() -> QuerySet[DutyGrant]:
    """Active grants, by duty, with the people who hold and granted them."""
    return DutyGrant.objects.active().select_related("user", "granted_by").order_by("duty", "granted_at")


def history(limit: int = 50) -> list[DutyGrant]:
    """The latest grants and revocations, newest first."""
    return list(DutyGrant.objects.select_related("user", "granted_by", "revoked_by")[:limit])


def grant_of(person: User) -> DutyGrant | None:
    return DutyGrant.objects.active().filter(user=person).first()


def candidates() -> QuerySet[User]:
    """Active people without a duty: those a duty may be granted to."""
    return (
        User.objects.filter(is_active=True)
        .exclude(pk__in=DutyGrant.objects.active().values("user_id"))
        .order_by("username")
    )
