"""factory_boy factories that build through the audited services, so generated data obeys every rule.

Use them where a test needs many rows of no particular identity (query-count tests, large trees); use
the named personas of ``conftest.city`` where the identity matters.
"""

from __future__ import annotations

from typing import Any

import factory

from luoshi.organizations import services as orgs
from luoshi.organizations.models import Organization, OrganizationKind, Role, User

PASSWORD = "Luoshi-test-2026"


class OrganizationFactory(factory.Factory):
    """A unit under ``parent`` (a root government when no parent is given)."""

    class Meta:
        model = Organization

    parent = None
    name = factory.Sequence(lambda n: f"测试单位{n:04d}")
    kind = factory.LazyAttribute(lambda o: orgs.default_kind_for_child(o.parent))
    short_name = ""
    region_code = None

    @classmethod
    def _create(cls, model_class: type[Organization], *args: Any, **kwargs: Any) -> Organization:
        return orgs.organization_create(actor=kwargs.pop("actor", None), **kwargs)


class PersonFactory(factory.Factory):
    """A person with one membership (``organization`` and ``role``)."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"person{n:04d}")
    display_name = factory.Sequence(lambda n: f"测试人员{n:04d}")
    password = PASSWORD
    organization: Any = None
    role = Role.HANDLER

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        organization = kwargs.pop("organization")
        role = kwargs.pop("role")
        return orgs.person_create(
            actor=kwargs.pop("actor", None), memberships=[(organization, role, "")], **kwargs
        )


def district_with_streets(parent: Organization, streets: int) -> Organization:
    """A district and ``streets`` streets under it; handy for growing a tree in query-count tests."""
    district = OrganizationFactory(parent=parent, kind=OrganizationKind.DISTRICT)
    OrganizationFactory.create_batch(streets, parent=district, kind=OrganizationKind.TOWNSHIP)
    return district
