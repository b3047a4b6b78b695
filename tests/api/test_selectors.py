"""The organisation reads shared by the API and the pages (``luoshi.organizations.selectors``).

Kept with the API tests because the API worker owns the module; they move to tests/organizations/ freely.
"""

from __future__ import annotations

import pytest

from luoshi.core.errors import NotFound
from luoshi.organizations import selectors
from luoshi.organizations import services as orgs
from luoshi.organizations.models import OrganizationKind


def flatten(nodes, depth=0):
    for node in nodes:
        yield depth, node.org.name
        yield from flatten(node.children, depth + 1)


def test_tree_nests_the_visible_units(city):
    assert list(flatten(selectors.org_tree(city.wang))) == [
        (0, "鞍山市人民政府"),
        (1, "铁西区人民政府"),
        (2, "铁西区兴盛街道"),
    ]


def test_tree_orders_siblings_by_sort_order_then_name(city):
    orgs.organization_update(actor=None, org=city.tiedong, version=None, sort_order=-1)
    top = selectors.org_tree(city.admin)[0]
    assert [n.org.name for n in top.children] == [
        "铁东区人民政府",
        "市政府督查室",
        "市生态环境局",
        "铁西区人民政府",
    ]


def test_tree_leaves_out_inactive_units_unless_asked(city):
    orgs.organization_update(actor=None, org=city.tiexi_street, version=None, is_active=False)
    assert "铁西区兴盛街道" not in {name for _, name in flatten(selectors.org_tree(city.admin))}
    assert "铁西区兴盛街道" in {
        name for _, name in flatten(selectors.org_tree(city.admin, include_inactive=True))
    }


def test_tree_costs_the_same_for_any_size(city, django_assert_max_num_queries):
    for n in range(30):
        orgs.organization_create(
            actor=None, parent=city.tiexi_street, name=f"社区{n}", kind=OrganizationKind.COMMUNITY
        )
    city.zhao._luoshi_scopes = None
    # Zhao's posts, the jurisdiction above his office, then the units: three, however many units.
    with django_assert_max_num_queries(3):
        assert len(list(flatten(selectors.org_tree(city.zhao)))) == 37


def test_detail(city):
    detail = selectors.org_detail(city.wang, city.tiexi_street.pk)
    assert [a.name for a in detail.ancestors] == ["鞍山市人民政府", "铁西区人民政府"]
    assert detail.children == []
    assert [m.user.username for m in detail.memberships] == ["chengang"]
    detail = selectors.org_detail(city.wang, city.government.pk)
    assert [c.name for c in detail.children] == ["铁西区人民政府"]


@pytest.mark.parametrize("org", ["tiedong", "tiedong_street"])
def test_detail_of_a_hidden_unit_is_not_found(city, org):
    with pytest.raises(NotFound):
        selectors.org_detail(city.wang, getattr(city, org).pk)


def test_people_list_prefetches_visible_posts(city, django_assert_max_num_queries):
    people = selectors.people_list(city.admin, city.tiexi, subtree=True)
    with django_assert_max_num_queries(3):
        rows = {p.username: [m.organization.name for m in p.visible_memberships] for p in people}
    assert rows == {
        "chengang": ["铁西区兴盛街道"],
        "tiexiadmin": ["铁西区人民政府"],
        "wangfang": ["铁西区人民政府"],
    }
