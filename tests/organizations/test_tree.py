import pytest

from luoshi.audit.models import AuditEvent
from luoshi.core import trees
from luoshi.core.errors import ValidationFailed
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Organization, OrganizationKind


def test_paths_follow_ids(city):
    assert city.government.path == trees.segment(city.government.pk)
    assert city.tiexi_street.path == city.government.path + trees.segment(city.tiexi.pk) + trees.segment(
        city.tiexi_street.pk
    )
    assert city.tiexi_street.depth == 3


def test_subtree_is_a_range(city):
    names = set(Organization.objects.in_subtree(city.tiexi).values_list("name", flat=True))
    assert names == {"铁西区人民政府", "铁西区兴盛街道"}


def test_move_rewrites_the_whole_subtree(city, django_assert_max_num_queries):
    leaf = orgs.organization_create(
        actor=city.admin, parent=city.tiexi_street, name="兴盛社区", kind=OrganizationKind.COMMUNITY
    )
    orgs.organization_move(actor=city.admin, org=city.tiexi_street, new_parent=city.tiedong)
    leaf.refresh_from_db()
    street = Organization.objects.get(pk=city.tiexi_street.pk)
    assert street.parent_id == city.tiedong.pk
    assert street.path == city.tiedong.path + trees.segment(street.pk)
    assert leaf.path == street.path + trees.segment(leaf.pk)
    assert leaf.depth == 4
    assert AuditEvent.objects.filter(action="organization.move", object_id=str(street.pk)).exists()


@pytest.mark.parametrize("target", ["self", "child"])
def test_move_refuses_a_cycle(city, target):
    new_parent = city.tiexi if target == "self" else city.tiexi_street
    before = list(Organization.objects.values_list("pk", "path", "parent_id"))
    with pytest.raises(ValidationFailed):
        orgs.organization_move(actor=city.admin, org=city.tiexi, new_parent=new_parent)
    assert list(Organization.objects.values_list("pk", "path", "parent_id")) == before


@pytest.mark.parametrize("code", ["21030", "2103033", "021030", "21O303"])
def test_malformed_region_code_is_refused(city, code):
    count = Organization.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        orgs.organization_create(
            actor=city.admin, parent=city.government, name="新区", kind="district", region_code=code
        )
    assert "region_code" in exc.value.fields
    assert Organization.objects.count() == count


def test_duplicate_region_code_is_refused(city):
    with pytest.raises(ValidationFailed) as exc:
        orgs.organization_create(
            actor=city.admin, parent=city.government, name="新区", kind="district", region_code="210303"
        )
    assert "region_code" in exc.value.fields


def test_subtree_range_scan_matches_a_walk_of_the_parent_keys(city):
    from tests.factories import PersonFactory, district_with_streets

    districts = [district_with_streets(city.government, streets=3) for _ in range(4)]
    PersonFactory(organization=districts[0], role="head")
    by_parent: dict[int | None, list[Organization]] = {}
    for org in Organization.objects.all():
        by_parent.setdefault(org.parent_id, []).append(org)

    def walk(node: Organization) -> set[int]:
        found = {node.pk}
        for child in by_parent.get(node.pk, []):
            found |= walk(child)
        return found

    for root in [city.government, city.tiexi, *districts]:
        assert set(Organization.objects.in_subtree(root).values_list("pk", flat=True)) == walk(root)
