"""``access.allowed``: the policy applied to a whole list at once, as pages offering choices need it."""

import pytest

from luoshi.access import Action, allowed, can, policy
from luoshi.organizations.models import Organization


@pytest.mark.parametrize("limit", [policy.ALLOWED_IN_LIMIT, 2])
@pytest.mark.parametrize("persona", ["admin", "tiexi_admin", "wang", "zhao"])
def test_allowed_agrees_with_can(city, monkeypatch, limit, persona):
    monkeypatch.setattr(policy, "ALLOWED_IN_LIMIT", limit)
    user = getattr(city, persona)
    units = list(Organization.objects.order_by("path"))
    for action in (Action.CHANGE, Action.ADD_CHILD, Action.MOVE, Action.MANAGE_PEOPLE):
        assert allowed(user, action, units) == [o for o in units if can(user, action, o)]


def test_district_admin_may_add_only_inside_the_district(city):
    units = list(Organization.objects.order_by("path"))
    assert allowed(city.tiexi_admin, Action.ADD_CHILD, units) == [city.tiexi, city.tiexi_street]


def test_allowed_of_nothing_asks_nothing(city, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert allowed(city.tiexi_admin, Action.CHANGE, []) == []
