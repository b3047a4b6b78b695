"""``policy.units_within``: the written-out subquery of the units in some subtrees, which the task and
directive rules name, selects exactly what the ORM's range filter on the units' paths selects."""

from __future__ import annotations

from itertools import combinations

from django.db.models import Q

from luoshi.access import policy
from luoshi.core import trees
from luoshi.organizations.models import Organization


def _by_orm(paths: list[str]) -> set[int]:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= trees.subtree_q("path", path)
    return set(Organization.objects.filter(condition).values_list("pk", flat=True))


def test_every_combination_of_subtrees_selects_the_same_units(city):
    paths = sorted(Organization.objects.values_list("path", flat=True))
    # A path that is no unit's, and one past the last unit, select nothing more.
    paths += [paths[-1] + "0" * trees.SEGMENT, trees.successor(paths[-1])]
    for size in range(3):
        for chosen in combinations(paths, size):
            written = set(
                Organization.objects.filter(pk__in=policy.units_within(chosen)).values_list("pk", flat=True)
            )
            assert written == _by_orm(list(chosen)), chosen


def test_a_district_selects_itself_and_its_street_and_no_subtree_selects_nothing(city):
    everyone = Organization.objects.order_by("pk")
    assert set(everyone.filter(pk__in=policy.units_within([city.tiexi.path]))) == {
        city.tiexi,
        city.tiexi_street,
    }
    assert not Organization.objects.filter(pk__in=policy.units_within([])).exists()
