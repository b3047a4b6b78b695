"""The one authorization policy (``luoshi.access``) on organisations and people, persona by persona."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from luoshi.access import Action, can, require, scopes_of, visible
from luoshi.core.errors import NotAllowed, NotFound
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Organization, OrganizationKind, Role, User
from tests.conftest import make_person

ALL_UNITS = {
    "鞍山市人民政府",
    "市政府督查室",
    "市生态环境局",
    "铁西区人民政府",
    "铁西区兴盛街道",
    "铁东区人民政府",
    "铁东区站前街道",
}
ALL_PEOPLE = {"admin", "zhaomin", "liqiang", "wangfang", "sunli", "chengang", "tiexiadmin"}


def unit_names(user) -> set[str]:
    return set(visible(user, Organization.objects.all()).values_list("name", flat=True))


def usernames(user) -> set[str]:
    return set(visible(user, User.objects.all()).values_list("username", flat=True))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        # The supervision office's jurisdiction is the municipal government: the whole city.
        ("zhao", ALL_UNITS),
        ("admin", ALL_UNITS),
        # Own unit and below, plus the chain of units above (to draw the tree); never a sibling.
        ("wang", {"鞍山市人民政府", "铁西区人民政府", "铁西区兴盛街道"}),
        ("tiexi_admin", {"鞍山市人民政府", "铁西区人民政府", "铁西区兴盛街道"}),
        ("sun", {"鞍山市人民政府", "铁东区人民政府", "铁东区站前街道"}),
        ("chen", {"鞍山市人民政府", "铁西区人民政府", "铁西区兴盛街道"}),
        ("li", {"鞍山市人民政府", "市生态环境局"}),
    ],
)
def test_visible_units(city, persona, expected):
    assert unit_names(getattr(city, persona)) == expected


def test_chen_sees_only_his_street_and_the_units_above_it(city):
    # Named separately because the chain above is all a street handler sees of the district.
    seen = unit_names(city.chen)
    assert "铁西区兴盛街道" in seen
    assert not seen & {"铁东区人民政府", "铁东区站前街道", "市生态环境局", "市政府督查室"}


def test_a_supervisor_inside_a_district_oversees_that_district_only(city):
    office = orgs.organization_create(
        actor=None, parent=city.tiexi, name="铁西区督查室", kind=OrganizationKind.DEPARTMENT
    )
    zhou = make_person("zhoujie", "周杰", office, Role.SUPERVISOR)
    assert [s.path for s in scopes_of(zhou)] == [city.tiexi.path]
    assert unit_names(zhou) == {"鞍山市人民政府", "铁西区人民政府", "铁西区兴盛街道", "铁西区督查室"}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("zhao", ALL_PEOPLE),
        ("admin", ALL_PEOPLE),
        # People who work in their subtree, and themselves; not the city administrator above them.
        ("wang", {"wangfang", "chengang", "tiexiadmin"}),
        ("tiexi_admin", {"wangfang", "chengang", "tiexiadmin"}),
        ("sun", {"sunli"}),
        ("chen", {"chengang"}),
        ("li", {"liqiang"}),
    ],
)
def test_visible_people(city, persona, expected):
    assert usernames(getattr(city, persona)) == expected


def test_require_tells_invisible_from_forbidden(city):
    # Invisible: "not found", so nothing leaks about a sibling district.
    with pytest.raises(NotFound):
        require(city.wang, Action.VIEW, city.tiedong)
    with pytest.raises(NotFound):
        require(city.wang, Action.CHANGE, city.tiedong_street)
    with pytest.raises(NotFound):
        require(city.wang, Action.VIEW, city.sun)
    # Visible, but a handler administers nothing.
    require(city.wang, Action.VIEW, city.tiexi)
    with pytest.raises(NotAllowed):
        require(city.wang, Action.CHANGE, city.tiexi)
    with pytest.raises(NotAllowed):
        require(city.wang, Action.ADD_CHILD, city.tiexi_street)
    with pytest.raises(NotAllowed):
        require(city.wang, Action.CHANGE, city.chen)
    # Everyone may change their own record.
    require(city.wang, Action.CHANGE, city.wang)


def test_a_supervisor_sees_everything_but_administers_nothing(city):
    require(city.zhao, Action.VIEW, city.tiedong_street)
    for action in (Action.CHANGE, Action.MOVE, Action.ADD_CHILD, Action.IMPORT):
        assert not can(city.zhao, action, city.tiexi_street)
        with pytest.raises(NotAllowed):
            require(city.zhao, action, city.tiexi_street)


def test_a_district_admin_manages_the_units_below_their_own(city):
    admin = city.tiexi_admin
    for action in (Action.VIEW, Action.CHANGE, Action.MOVE, Action.ADD_CHILD, Action.IMPORT):
        assert can(admin, action, city.tiexi_street), action
        require(admin, action, city.tiexi_street)
    # Their own unit is moved from above.
    assert not can(admin, Action.MOVE, city.tiexi)
    with pytest.raises(NotAllowed):
        require(admin, Action.MOVE, city.tiexi)
    assert can(admin, Action.ADD_CHILD, city.tiexi)
    # Above and beside their subtree they can do nothing.
    assert not can(admin, Action.ADD_CHILD, city.government)
    with pytest.raises(NotAllowed):
        require(admin, Action.CHANGE, city.government)
    with pytest.raises(NotFound):
        require(admin, Action.CHANGE, city.tiedong_street)
    assert not can(admin, Action.CHANGE, city.tiedong)


def test_a_district_admin_manages_the_people_of_their_subtree(city):
    admin = city.tiexi_admin
    assert can(admin, Action.CHANGE, city.chen)
    assert can(admin, Action.CHANGE, city.wang)
    assert not can(admin, Action.CHANGE, city.sun)
    with pytest.raises(NotFound):
        require(admin, Action.CHANGE, city.sun)
    # The city administrator is above them and out of sight.
    with pytest.raises(NotFound):
        require(admin, Action.CHANGE, city.admin)


def test_the_city_admin_manages_the_whole_city(city):
    for unit in (city.tiexi, city.tiedong_street, city.ecology_bureau):
        for action in (Action.CHANGE, Action.MOVE, Action.ADD_CHILD):
            require(city.admin, action, unit)
    assert can(city.admin, Action.CHANGE, city.sun)
    # Their own root unit cannot be moved by them.
    assert not can(city.admin, Action.MOVE, city.government)


def test_a_superuser_may_do_everything(city):
    root = User.objects.create_superuser("root", password="Root-pass-2026")
    assert unit_names(root) == ALL_UNITS
    assert usernames(root) == {*ALL_PEOPLE, "root"}
    for action in Action:
        assert can(root, action, city.government)
        require(root, action, city.tiedong_street)
        require(root, action, city.sun)


@pytest.mark.parametrize("who", ["anonymous", "inactive", "none"])
def test_anonymous_and_inactive_people_see_and_do_nothing(city, who):
    if who == "anonymous":
        user = AnonymousUser()
    elif who == "inactive":
        user = city.tiexi_admin
        user.is_active = False
        user.save(update_fields=["is_active"])
    else:
        user = None
    assert not visible(user, Organization.objects.all()).exists()
    assert not visible(user, User.objects.all()).exists()
    for action in (Action.VIEW, Action.CHANGE, Action.ADD_CHILD):
        assert not can(user, action, city.tiexi_street)
        with pytest.raises(NotFound):
            require(user, action, city.tiexi_street)


def test_an_inactive_superuser_sees_nothing(city):
    root = User.objects.create_superuser("root", password="Root-pass-2026", is_active=False)
    assert not visible(root, Organization.objects.all()).exists()
    assert not can(root, Action.VIEW, city.government)


def test_a_role_in_a_deactivated_unit_gives_no_sight(city):
    orgs.organization_update(actor=None, org=city.tiexi_street, version=None, is_active=False)
    chen = User.objects.get(pk=city.chen.pk)
    assert scopes_of(chen) == []
    assert unit_names(chen) == set()
    assert usernames(chen) == {"chengang"}


def test_people_with_two_roles_see_both_subtrees(city):
    orgs.person_update(
        actor=None,
        person=city.sun,
        version=None,
        memberships=[(city.tiedong, Role.HANDLER, ""), (city.ecology_bureau, Role.HANDLER, "")],
    )
    sun = User.objects.get(pk=city.sun.pk)
    assert unit_names(sun) == {"鞍山市人民政府", "铁东区人民政府", "铁东区站前街道", "市生态环境局"}
    assert usernames(sun) == {"sunli", "liqiang"}


def test_scopes_are_computed_once_per_user_object(city, django_assert_num_queries):
    zhao = User.objects.get(pk=city.zhao.pk)
    # Memberships, then the jurisdictions above the supervisor's department: two queries, once.
    with django_assert_num_queries(2):
        scopes = scopes_of(zhao)
    assert [(s.path, s.role) for s in scopes] == [(city.government.path, Role.SUPERVISOR)]
    with django_assert_num_queries(0):
        assert scopes_of(zhao) is scopes
    # Every later check costs only its own query.
    with django_assert_num_queries(1):
        assert len(unit_names(zhao)) == len(ALL_UNITS)
    with django_assert_num_queries(1):
        assert can(zhao, Action.VIEW, city.tiedong_street)
    with django_assert_num_queries(1):
        require(zhao, Action.VIEW, city.sun)
    # A fresh user object (the next request) computes them again.
    wang = User.objects.get(pk=city.wang.pk)
    with django_assert_num_queries(1):
        scopes_of(wang)
    with django_assert_num_queries(0):
        scopes_of(wang)


def test_a_unit_in_hand_is_visible_exactly_when_the_database_says_so(city, django_assert_max_num_queries):
    """The cockpit checks the unit it has just read; the in-hand test agrees with the database rule."""
    from luoshi.access import policy

    for user in (city.zhao, city.wang, city.chen, city.sun, city.li, city.tiexi_admin):
        scopes_of(user)
        for org in Organization.objects.all():
            expected = visible(user, Organization.objects.filter(pk=org.pk)).exists()
            with django_assert_max_num_queries(0 if expected else 1):
                assert policy.is_visible(user, org, fresh=True) is expected
