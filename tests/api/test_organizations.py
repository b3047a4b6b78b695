"""The organisation endpoints: who sees and changes which units, versions, and the cost of a list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.audit.models import AuditEvent
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Membership, Organization, OrganizationKind, User

ORGS = "/api/v1/organizations"


def org_url(org: Organization) -> str:
    return f"{ORGS}/{org.pk}"


def person_url(person: User) -> str:
    return f"/api/v1/people/{person.pk}"


def database_rows() -> tuple[list, list, list, int]:
    """Everything a refused request must leave alone."""
    return (
        list(Organization.objects.order_by("pk").values()),
        list(User.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


def names(response) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


# --- seeing ---------------------------------------------------------------------------------------


def test_list_shows_only_visible_units(city, api_as):
    response = api_as(city.wang).get(ORGS)
    assert response.status_code == 200
    body = response.json()
    # Wang's district, its street, and the chain above (to draw the tree) -- never the sibling district.
    assert set(names(response)) == {"鞍山市人民政府", "铁西区人民政府", "铁西区兴盛街道"}
    assert body["count"] == 3
    assert body["page"] == 1


def test_supervisor_sees_the_whole_city(city, api_as):
    response = api_as(city.zhao).get(ORGS, {"page_size": 100})
    assert response.json()["count"] == Organization.objects.count()


def test_list_filters(city, api_as):
    client = api_as(city.admin)
    assert set(names(client.get(ORGS, {"parent": city.tiexi.pk}))) == {"铁西区兴盛街道"}
    assert set(names(client.get(ORGS, {"kind": "district"}))) == {"铁西区人民政府", "铁东区人民政府"}
    assert set(names(client.get(ORGS, {"q": "铁东"}))) == {"铁东区人民政府", "铁东区站前街道"}
    # The short name matches too.
    assert set(names(client.get(ORGS, {"q": "督查室"}))) == {"市政府督查室"}


def test_list_pages(city, api_as):
    client = api_as(city.admin)
    first = client.get(ORGS, {"page_size": 3}).json()
    second = client.get(ORGS, {"page_size": 3, "page": 2}).json()
    assert first["count"] == second["count"] == 7
    assert len(first["items"]) == 3
    assert second["page"] == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert client.get(ORGS, {"page": 99}).json()["items"] == []
    response = client.get(ORGS, {"page": 0})
    assert response.status_code == 422
    assert "page" in response.json()["error"]["fields"]


def test_children(city, api_as):
    response = api_as(city.admin).get(f"{org_url(city.government)}/children")
    assert response.status_code == 200
    assert set(names(response)) == {"市政府督查室", "市生态环境局", "铁西区人民政府", "铁东区人民政府"}
    # Wang sees the government (above his district) but only his own branch below it.
    response = api_as(city.wang).get(f"{org_url(city.government)}/children")
    assert names(response) == ["铁西区人民政府"]


def test_detail(city, api_as):
    response = api_as(city.wang).get(org_url(city.tiexi_street))
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "铁西区兴盛街道"
    assert body["parent"] == city.tiexi.pk
    assert body["kind"] == "township"
    assert body["version"] == 1


# --- the sibling district is out of reach --------------------------------------------------------

SIBLING_TARGETS = ["tiedong", "tiedong_street", "sun"]


def _target(city, name):
    obj = getattr(city, name)
    if isinstance(obj, User):
        return person_url(obj), {"version": obj.version, "display_name": "改过的名字"}
    return org_url(obj), {"version": obj.version, "name": "改过的名字"}


@pytest.mark.parametrize("actor", ["wang", "tiexi_admin"])
@pytest.mark.parametrize("target", SIBLING_TARGETS)
def test_sibling_district_is_not_found(city, api_as, actor, target):
    url, change = _target(city, target)
    client = api_as(getattr(city, actor))
    before = database_rows()

    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = client.patch(url, change)
    assert response.status_code == 404
    # "Not found" is all it says: the same answer as for an id that does not exist.
    assert response.json() == client.get(f"{ORGS}/999999").json()

    assert database_rows() == before


@pytest.mark.parametrize("target", SIBLING_TARGETS)
def test_supervisor_reads_both_districts(city, api_as, target):
    url, _ = _target(city, target)
    assert api_as(city.zhao).get(url).status_code == 200


def test_district_admin_changes_a_street_but_cannot_move_it_to_the_sibling(city, api_as):
    client = api_as(city.tiexi_admin)
    street = city.tiexi_street
    response = client.patch(org_url(street), {"version": 1, "short_name": "兴盛", "sort_order": 3})
    assert response.status_code == 200, response.content
    assert response.json()["short_name"] == "兴盛"
    assert response.json()["version"] == 2
    assert AuditEvent.objects.filter(action="organization.update", object_id=str(street.pk)).exists()

    before = database_rows()
    response = client.patch(org_url(street), {"version": 2, "parent": city.tiedong.pk})
    assert response.status_code == 404
    assert database_rows() == before


def test_admin_moves_a_unit(city, api_as):
    response = api_as(city.admin).patch(
        org_url(city.tiexi_street), {"version": 1, "parent": city.tiedong.pk, "name": "站北街道"}
    )
    assert response.status_code == 200, response.content
    street = Organization.objects.get(pk=city.tiexi_street.pk)
    assert (street.parent_id, street.name) == (city.tiedong.pk, "站北街道")
    assert street.is_in_subtree_of(city.tiedong)
    assert response.json()["version"] == street.version


def test_failed_move_keeps_the_field_changes_out_too(city, api_as):
    """Fields and move are one change: a move refused by the service rolls the fields back."""
    client = api_as(city.admin)
    before = database_rows()
    response = client.patch(
        org_url(city.tiexi), {"version": 1, "name": "新名字", "parent": city.tiexi_street.pk}
    )
    assert response.status_code == 422
    assert "parent" in response.json()["error"]["fields"]
    assert database_rows() == before


@pytest.mark.parametrize(
    ("actor", "org", "change"),
    [
        ("wang", "tiexi", {"name": "铁西"}),  # a handler sees his district but does not run it
        ("tiexi_admin", "tiexi", {"parent": "tiexi_street"}),  # nobody moves their own unit
        ("tiexi_admin", "government", {"name": "市府"}),  # the chain above is visible, not theirs
        ("zhao", "tiexi_street", {"name": "兴盛"}),  # supervisors watch, they do not edit the tree
    ],
)
def test_visible_but_not_allowed_is_403(city, api_as, actor, org, change):
    target = getattr(city, org)
    change = {k: getattr(city, v).pk if k == "parent" else v for k, v in change.items()}
    client = api_as(getattr(city, actor))
    before = database_rows()
    response = client.patch(org_url(target), {"version": 1, **change})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert database_rows() == before


def test_stale_version_is_a_conflict(city, api_as):
    client = api_as(city.tiexi_admin)
    assert client.patch(org_url(city.tiexi_street), {"version": 1, "name": "一"}).status_code == 200
    before = database_rows()
    response = client.patch(org_url(city.tiexi_street), {"version": 1, "name": "二"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["message"]
    assert database_rows() == before


# --- creating -------------------------------------------------------------------------------------


def test_create_under_a_unit_one_administers(city, api_as):
    response = api_as(city.tiexi_admin).post(
        ORGS, {"parent": city.tiexi_street.pk, "name": "兴盛社区", "region_code": None}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == OrganizationKind.COMMUNITY  # the default below a township
    org = Organization.objects.get(pk=body["id"])
    assert org.is_in_subtree_of(city.tiexi_street)
    assert AuditEvent.objects.filter(action="organization.create", object_id=str(org.pk)).exists()


@pytest.mark.parametrize(
    ("actor", "parent", "status"),
    [
        ("tiexi_admin", "tiedong", 404),
        ("tiexi_admin", "government", 403),
        ("wang", "tiexi", 403),
        ("tiexi_admin", None, 403),
    ],
)
def test_create_elsewhere_is_refused(city, api_as, actor, parent, status):
    client = api_as(getattr(city, actor))
    before = database_rows()
    payload = {"parent": getattr(city, parent).pk if parent else None, "name": "新单位", "kind": "department"}
    assert client.post(ORGS, payload).status_code == status
    assert database_rows() == before


# --- errors ---------------------------------------------------------------------------------------


def test_validation_errors_name_the_field_in_english(city, api_as):
    client = api_as(city.admin)
    response = client.post(ORGS, {"parent": city.tiexi.pk, "kind": "planet"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "Please correct the marked fields."
    assert error["fields"]["name"] == ["This field is required."]
    assert error["fields"]["kind"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert response["Content-Language"] == "en"


def test_validation_errors_follow_the_request_language(city, api_as):
    client = api_as(city.admin)
    english = client.post(ORGS, {"parent": city.tiexi.pk}, HTTP_ACCEPT_LANGUAGE="en").json()["error"]
    chinese = client.post(ORGS, {"parent": city.tiexi.pk}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["error"]
    assert set(chinese["fields"]) == {"name"}
    assert chinese["message"]
    assert all(chinese["fields"]["name"])
    # Django's own catalogue already has this sentence in Chinese.
    assert chinese["fields"]["name"] != english["fields"]["name"]


def test_model_validation_errors_name_the_field(city, api_as):
    response = api_as(city.admin).post(
        ORGS,
        {"parent": city.government.pk, "name": "新区", "kind": "district", "region_code": "12345"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["region_code"]


def test_unknown_fields_are_refused(city, api_as):
    response = api_as(city.admin).patch(org_url(city.tiexi), {"version": 1, "path": "0001"})
    assert response.status_code == 422
    assert "path" in response.json()["error"]["fields"]


def test_missing_version_is_a_validation_error(city, api_as):
    response = api_as(city.admin).patch(org_url(city.tiexi), {"name": "铁西"})
    assert response.status_code == 422
    assert "version" in response.json()["error"]["fields"]


def test_malformed_json_is_a_validation_error(city, api_as):
    client = api_as(city.admin)
    response = client.client.post(ORGS, "{not json", content_type="application/json")
    assert response.status_code in {400, 422}
    assert response.json()["error"]["code"] in {"bad_request", "invalid"}


def test_unexpected_errors_say_nothing_of_the_cause(city, api_as, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret table name")

    monkeypatch.setattr("luoshi.organizations.selectors.org_get", explode)
    response = api_as(city.admin).get(org_url(city.tiexi))
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "server_error"
    assert "secret" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


# --- cost -----------------------------------------------------------------------------------------


def _add_units(city, count: int) -> None:
    start = Organization.objects.count()
    for n in range(start, start + count):
        orgs.organization_create(
            actor=None, parent=city.tiexi_street, name=f"社区{n:03d}", kind=OrganizationKind.COMMUNITY
        )


@pytest.mark.parametrize("actor", ["admin", "wang", "zhao"])
def test_list_queries_do_not_grow_with_rows(city, api_as, django_assert_max_num_queries, actor):
    client = api_as(getattr(city, actor))
    _add_units(city, 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(ORGS, {"page_size": 100}).json()["count"] >= 10
    _add_units(city, 40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(ORGS, {"page_size": 100}).json()["count"] >= 50
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(f"{org_url(city.tiexi_street)}/children", {"page_size": 100})
