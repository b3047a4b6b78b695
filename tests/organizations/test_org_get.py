"""``org_get`` reads the unit and its parent by a written-out statement and decides visibility on the
row's path: it must answer what the visible ORM query (``_org_get_by_query``) answers, the same unit with
the same parent loaded, or "not found" alike."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from luoshi.core.errors import NotFound
from luoshi.organizations import selectors
from luoshi.organizations.models import Organization

UNITS = (
    "government",
    "supervision_office",
    "ecology_bureau",
    "tiexi",
    "tiexi_street",
    "tiedong",
    "tiedong_street",
)
READERS = ("admin", "zhao", "li", "wang", "sun", "chen", "tiexi_admin")


def fields(org: Organization | None):
    if org is None:
        return None
    return [
        (f.attname, type(getattr(org, f.attname)), getattr(org, f.attname)) for f in org._meta.concrete_fields
    ]


def answer(get, user, pk):
    try:
        org = get(user, pk)
    except NotFound:
        return "not found"
    # The parent comes loaded, as ``select_related`` leaves it.
    assert Organization.parent.is_cached(org)
    return fields(org), fields(org.parent)


@pytest.mark.parametrize("reader", READERS)
def test_every_unit_as_the_orm_query_answers(city, reader):
    user = getattr(city, reader)
    for unit in UNITS:
        pk = getattr(city, unit).pk
        assert answer(selectors.org_get, user, pk) == answer(selectors._org_get_by_query, user, pk), unit


def test_hidden_missing_and_out_of_range(city):
    assert answer(selectors.org_get, city.sun, city.tiexi.pk) == "not found"
    assert answer(selectors.org_get, city.chen, city.tiexi.pk) != "not found"  # the chain above is seen
    for pk in (0, -1, 10**9, 2**63, -(2**63) - 1, 2**70):
        assert answer(selectors.org_get, city.zhao, pk) == "not found"


def test_inactive_anonymous_and_superuser(city):
    city.wang.is_active = False
    assert answer(selectors.org_get, city.wang, city.tiexi.pk) == "not found"
    assert answer(selectors.org_get, AnonymousUser(), city.tiexi.pk) == "not found"
    city.sun.is_superuser = True
    assert answer(selectors.org_get, city.sun, city.tiexi.pk) == answer(
        selectors._org_get_by_query, city.sun, city.tiexi.pk
    )
    assert answer(selectors.org_get, city.sun, city.tiexi.pk) != "not found"
