"""The demo city: the seven districts, the bureaus with their duties, people in every role, determinism."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.utils import translation

from luoshi.audit.models import AuditEvent
from luoshi.audit.verify import verify_chain
from luoshi.demo import city
from luoshi.organizations.models import Membership, Organization, OrganizationKind, Role, User

DISTRICTS = {
    "210302": "铁东区",
    "210303": "铁西区",
    "210304": "立山区",
    "210311": "千山区",
    "210321": "台安县",
    "210323": "岫岩满族自治县",
    "210381": "海城市",
}


@pytest.fixture
def demo(db: None) -> city.DemoCity:
    return city.build_city()


def snapshot() -> tuple[list[tuple[str, ...]], list[tuple[str, str, str, str]]]:
    """The city by names only (ids differ between databases): every unit's chain of names, and the people."""
    names = dict(Organization.objects.values_list("path", "name"))
    chains = sorted(
        tuple(names[path[:end]] for end in range(10, len(path) + 1, 10))
        for path in Organization.objects.values_list("path", flat=True)
    )
    people = sorted(
        Membership.objects.values_list("user__username", "user__display_name", "organization__name", "role")
    )
    return chains, people


def test_the_municipal_government_is_the_root(demo):
    root = Organization.objects.get(parent__isnull=True)
    assert (root.name, root.region_code, root.kind) == (
        "鞍山市人民政府",
        "210300",
        OrganizationKind.GOVERNMENT,
    )
    assert demo.government == root
    assert demo.supervision_office.name == "市政府督查室"
    assert demo.supervision_office.parent == root


def test_the_seven_districts_and_counties_have_their_region_codes(demo):
    districts = Organization.objects.filter(kind=OrganizationKind.DISTRICT)
    assert {d.region_code: d.name.removesuffix("人民政府") for d in districts} == DISTRICTS
    assert all(d.parent == demo.government for d in districts)


def test_at_least_25_bureaus_each_with_a_short_name_and_duties(demo):
    bureaus = Organization.objects.filter(parent=demo.government, kind=OrganizationKind.DEPARTMENT).exclude(
        pk__in=[demo.units["office"].pk, demo.supervision_office.pk]
    )
    assert bureaus.count() >= 25
    for bureau in bureaus:
        assert bureau.short_name, bureau.name
        assert 15 <= len(bureau.duties) <= 80, bureau.name
        assert bureau.duties.endswith("。"), bureau.name
    duties = [b.duties for b in bureaus]
    assert len(set(duties)) == len(duties), "every bureau answers for something of its own"
    by_name = {b.name: b.duties for b in bureaus}
    assert "大气" in by_name["市生态环境局"]
    assert "老旧小区" in by_name["市住房和城乡建设局"]


def test_streets_townships_and_villages_below_two_districts(demo):
    tiexi_streets = Organization.objects.filter(parent=demo.units["tiexi"], kind=OrganizationKind.TOWNSHIP)
    qianshan_towns = Organization.objects.filter(
        parent=demo.units["qianshan"], kind=OrganizationKind.TOWNSHIP
    )
    assert tiexi_streets.count() >= 2
    assert all(s.name.endswith("街道") for s in tiexi_streets)
    assert qianshan_towns.count() >= 2
    assert all(t.name.endswith("镇") for t in qianshan_towns)
    communities = Organization.objects.filter(kind=OrganizationKind.COMMUNITY)
    assert set(communities.values_list("parent__kind", flat=True)) == {OrganizationKind.TOWNSHIP}
    assert communities.count() >= 3
    assert Organization.objects.in_subtree(demo.units["qianshan"]).filter(name__endswith="村").count() >= 2


def test_about_seventy_people_in_every_role(demo):
    assert 60 <= User.objects.count() <= 80
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    district_roles = set(
        Membership.objects.filter(organization__kind=OrganizationKind.DISTRICT).values_list("role", flat=True)
    )
    assert {Role.SUPERVISOR, Role.ADMIN, Role.HANDLER, Role.LEADER} <= district_roles


def test_every_bureau_has_a_head(demo):
    headless = (
        Organization.objects.filter(parent=demo.government, kind=OrganizationKind.DEPARTMENT)
        .exclude(memberships__role=Role.HEAD)
        .values_list("name", flat=True)
    )
    assert list(headless) == []


PERSONAS = [
    ("zhaomin", "赵敏", "市政府督查室", Role.SUPERVISOR),
    ("zhouwenbo", "周文博", "鞍山市人民政府", Role.LEADER),
    ("liqiang", "李强", "市生态环境局", Role.HEAD),
    ("wangfang", "王芳", "铁西区人民政府", Role.HANDLER),
    ("chengang", "陈刚", "千山区甘泉镇", Role.HANDLER),
    ("admin", "系统管理员", "鞍山市人民政府", Role.ADMIN),
]


def test_the_personas_of_the_scenarios(demo):
    for username, name, unit, role in PERSONAS:
        person = User.objects.get(username=username)
        assert person.display_name == name
        assert list(person.memberships.values_list("organization__name", "role")) == [(unit, role)]
    assert Membership.objects.get(user__username="zhouwenbo").title == "副市长"


def test_usernames_are_pinyin_and_only_the_admin_is_a_superuser(demo):
    for username in User.objects.values_list("username", flat=True):
        assert re.fullmatch(r"[a-z]+", username), username
    assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == ["admin"]


def test_everyone_signs_in_with_the_demo_password(demo):
    for person in User.objects.all():
        assert person.check_password(city.DEMO_PASSWORD), person.username


def test_the_admin_password_can_be_chosen(db):
    city.build_city(admin_password="Another-demo-pass-1")
    assert User.objects.get(username="admin").check_password("Another-demo-pass-1")
    assert User.objects.get(username="zhaomin").check_password(city.DEMO_PASSWORD)


def test_everything_is_in_the_audit_trail_and_it_verifies(demo):
    assert AuditEvent.objects.filter(action="organization.create").count() == Organization.objects.count()
    assert AuditEvent.objects.filter(action="person.create").count() == User.objects.count()
    result = verify_chain()
    assert result.ok
    assert result.count == AuditEvent.objects.count()


def test_a_second_build_is_refused(demo):
    with pytest.raises(city.DemoError):
        city.build_city()


def test_two_builds_give_the_same_city(db):
    snapshots = []
    for _ in range(2):
        with transaction.atomic():
            city.build_city()
            snapshots.append(snapshot())
            transaction.set_rollback(True)
    assert Organization.objects.count() == 0
    assert snapshots[0] == snapshots[1]
    assert len(snapshots[0][0]) == len(city.UNITS)


def test_the_accounts_list_puts_the_personas_first():
    accounts = city.demo_accounts(admin_password=city.DEMO_PASSWORD)
    assert [a.username for a in accounts[: len(city.PERSONAS)]] == list(city.PERSONAS)
    assert len(accounts) == len(city.PEOPLE)
    assert {a.password for a in accounts} == {city.DEMO_PASSWORD}


def test_an_unknown_admin_password_is_not_printed_as_the_demo_one():
    accounts = {a.username: a for a in city.demo_accounts(admin_password=None)}
    assert accounts["admin"].password != city.DEMO_PASSWORD
    assert accounts["zhaomin"].password == city.DEMO_PASSWORD


def test_the_tables_are_consistent():
    keys = [u.key for u in city.UNITS]
    assert len(set(keys)) == len(keys)
    for unit in city.UNITS:
        assert unit.parent is None or keys.index(unit.parent) < keys.index(unit.key), unit.key
    usernames = [p.username for p in city.PEOPLE]
    assert len(set(usernames)) == len(usernames)
    assert {p.unit for p in city.PEOPLE} <= set(keys)


def test_reset_refuses_a_database_other_than_sqlite(settings, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    with translation.override("en"), pytest.raises(city.DemoError, match="--force"):
        city.reset_database()
