"""The people endpoints: who sees, creates and changes whom, and what people change about themselves."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.audit.models import AuditEvent
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Membership, Role, User
from tests.api.test_organizations import database_rows
from tests.conftest import PASSWORD

PEOPLE = "/api/v1/people"


def person_url(person: User) -> str:
    return f"{PEOPLE}/{person.pk}"


def usernames(response) -> set[str]:
    return {item["username"] for item in response.json()["items"]}


def posts(person: User) -> set[tuple[int, str]]:
    return set(Membership.objects.filter(user=person).values_list("organization_id", "role"))


# --- seeing ---------------------------------------------------------------------------------------


def test_list_shows_only_visible_people(city, api_as):
    response = api_as(city.wang).get(PEOPLE)
    assert response.status_code == 200
    # His district and the street under it; not the sibling district, not the city's own offices.
    assert usernames(response) == {"wangfang", "chengang", "tiexiadmin"}


def test_supervisor_sees_everyone_in_the_city(city, api_as):
    assert usernames(api_as(city.zhao).get(PEOPLE)) == set(User.objects.values_list("username", flat=True))


def test_list_filters(city, api_as):
    client = api_as(city.admin)
    assert usernames(client.get(PEOPLE, {"org": city.tiexi.pk})) == {"wangfang", "tiexiadmin"}
    assert usernames(client.get(PEOPLE, {"org": city.tiexi.pk, "subtree": True})) == {
        "wangfang",
        "tiexiadmin",
        "chengang",
    }
    assert usernames(client.get(PEOPLE, {"q": "孙"})) == {"sunli"}
    # Filtering by a unit one cannot see is "not found", like reading it.
    assert api_as(city.wang).get(PEOPLE, {"org": city.tiedong.pk}).status_code == 404


def test_detail_has_the_posts(city, api_as):
    body = api_as(city.wang).get(person_url(city.chen)).json()
    assert body["username"] == "chengang"
    assert body["memberships"] == [
        {
            "organization": city.tiexi_street.pk,
            "organization_name": "铁西区兴盛街道",
            "role": "handler",
            "title": "",
            "is_primary": True,
        }
    ]
    assert "password" not in body


def test_posts_in_hidden_units_are_not_shown(city, api_as):
    orgs.person_update(
        actor=None,
        person=city.chen,
        version=None,
        memberships=[(city.tiexi_street, Role.HANDLER, ""), (city.tiedong_street, Role.HANDLER, "")],
    )
    seen = {m["organization"] for m in api_as(city.wang).get(person_url(city.chen)).json()["memberships"]}
    assert seen == {city.tiexi_street.pk}
    seen = {m["organization"] for m in api_as(city.zhao).get(person_url(city.chen)).json()["memberships"]}
    assert seen == {city.tiexi_street.pk, city.tiedong_street.pk}


# --- creating -------------------------------------------------------------------------------------


def new_person(org_id: int, **extra):
    return {
        "username": "zhoujie",
        "display_name": "周杰",
        "password": PASSWORD,
        "email": "zhoujie@example.gov.cn",
        "memberships": [{"organization": org_id, "role": "handler", "title": "科员"}],
        **extra,
    }


def test_district_admin_creates_a_person_in_their_district(city, api_as):
    response = api_as(city.tiexi_admin).post(PEOPLE, new_person(city.tiexi_street.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["memberships"][0]["title"] == "科员"
    person = User.objects.get(username="zhoujie")
    assert person.check_password(PASSWORD)
    assert posts(person) == {(city.tiexi_street.pk, "handler")}
    event = AuditEvent.objects.get(action="person.create", object_id=str(person.pk))
    assert event.actor_id == city.tiexi_admin.pk


@pytest.mark.parametrize(
    ("actor", "org", "status"),
    [
        ("tiexi_admin", "tiedong_street", 404),  # cannot see it
        ("tiexi_admin", "government", 403),  # sees it, does not run it
        ("wang", "tiexi", 403),  # handlers do not manage people
        ("zhao", "tiexi", 403),  # nor do supervisors
    ],
)
def test_creating_people_elsewhere_is_refused(city, api_as, actor, org, status):
    client = api_as(getattr(city, actor))
    before = database_rows()
    assert client.post(PEOPLE, new_person(getattr(city, org).pk)).status_code == status
    assert database_rows() == before


def test_every_unit_named_must_be_managed(city, api_as):
    client = api_as(city.tiexi_admin)
    payload = new_person(city.tiexi.pk)
    payload["memberships"].append({"organization": city.government.pk, "role": "leader"})
    before = database_rows()
    assert client.post(PEOPLE, payload).status_code == 403
    assert database_rows() == before


def test_a_person_needs_a_post(city, api_as):
    response = api_as(city.admin).post(PEOPLE, new_person(city.tiexi.pk, memberships=[]))
    assert response.status_code == 422
    assert "memberships" in response.json()["error"]["fields"]


def test_taken_username_and_weak_password_name_their_fields(city, api_as):
    client = api_as(city.admin)
    response = client.post(PEOPLE, new_person(city.tiexi.pk, username="wangfang"))
    assert response.status_code == 422
    assert "username" in response.json()["error"]["fields"]
    response = client.post(PEOPLE, new_person(city.tiexi.pk, password="12345678"))
    assert response.status_code == 422
    assert "password" in response.json()["error"]["fields"]


# --- changing -------------------------------------------------------------------------------------


def test_people_change_their_own_details(city, api_as):
    response = api_as(city.wang).patch(
        person_url(city.wang),
        {"version": 1, "display_name": "王芳芳", "phone": "0412-1234567", "language": "en"},
    )
    assert response.status_code == 200, response.content
    wang = User.objects.get(pk=city.wang.pk)
    assert (wang.display_name, wang.phone, wang.language, wang.version) == (
        "王芳芳",
        "0412-1234567",
        "en",
        2,
    )


@pytest.mark.parametrize("what", ["own-posts", "own-activation"])
def test_people_do_not_change_their_own_posts_or_activation(city, api_as, what):
    if what == "own-posts":
        change = {"memberships": [{"organization": city.tiexi.pk, "role": "admin"}]}
    else:
        change = {"is_active": False}
    client = api_as(city.wang)
    before = database_rows()
    response = client.patch(person_url(city.wang), {"version": 1, **change})
    assert response.status_code == 403
    assert database_rows() == before


def test_sending_back_unchanged_posts_is_harmless(city, api_as):
    """A client may send the whole record it read; unchanged posts need no rights."""
    client = api_as(city.wang)
    record = client.get(person_url(city.wang)).json()
    memberships = [
        {"organization": m["organization"], "role": m["role"], "title": m["title"]}
        for m in record["memberships"]
    ]
    response = client.patch(
        person_url(city.wang),
        {"version": record["version"], "display_name": "王芳", "memberships": memberships},
    )
    assert response.status_code == 200, response.content


def test_admin_moves_a_person_between_units_they_manage(city, api_as):
    response = api_as(city.tiexi_admin).patch(
        person_url(city.chen),
        {"version": 1, "memberships": [{"organization": city.tiexi.pk, "role": "head", "title": "副区长"}]},
    )
    assert response.status_code == 200, response.content
    assert posts(city.chen) == {(city.tiexi.pk, "head")}
    assert AuditEvent.objects.filter(action="person.update", object_id=str(city.chen.pk)).exists()


def test_admin_deactivates_a_person(city, api_as):
    response = api_as(city.tiexi_admin).patch(person_url(city.chen), {"version": 1, "is_active": False})
    assert response.status_code == 200
    assert not User.objects.get(pk=city.chen.pk).is_active


def test_posts_in_units_the_admin_cannot_see_are_kept(city, api_as):
    orgs.person_update(
        actor=None,
        person=city.chen,
        version=None,
        memberships=[(city.tiexi_street, Role.HANDLER, ""), (city.tiedong_street, Role.HANDLER, "")],
    )
    chen = User.objects.get(pk=city.chen.pk)
    response = api_as(city.tiexi_admin).patch(
        person_url(chen),
        {"version": chen.version, "memberships": [{"organization": city.tiexi.pk, "role": "handler"}]},
    )
    assert response.status_code == 200, response.content
    assert posts(chen) == {(city.tiexi.pk, "handler"), (city.tiedong_street.pk, "handler")}


def test_removing_a_visible_post_needs_its_admin(city, api_as):
    orgs.person_update(
        actor=None,
        person=city.chen,
        version=None,
        memberships=[(city.tiexi_street, Role.HANDLER, ""), (city.government, Role.LEADER, "")],
    )
    chen = User.objects.get(pk=city.chen.pk)
    client = api_as(city.tiexi_admin)
    before = database_rows()
    response = client.patch(
        person_url(chen),
        {"version": chen.version, "memberships": [{"organization": city.tiexi_street.pk, "role": "handler"}]},
    )
    assert response.status_code == 403
    assert database_rows() == before


@pytest.mark.parametrize("actor", ["zhao", "li", "chen"])
def test_others_cannot_change_a_person(city, api_as, actor):
    client = api_as(getattr(city, actor))
    before = database_rows()
    response = client.patch(person_url(city.wang), {"version": 1, "display_name": "别人"})
    # The supervisor sees Wang but may not change him; a bureau and a street below cannot even see him.
    assert response.status_code == (403 if actor == "zhao" else 404)
    assert database_rows() == before


def test_stale_version_is_a_conflict(city, api_as):
    client = api_as(city.wang)
    assert client.patch(person_url(city.wang), {"version": 1, "phone": "1"}).status_code == 200
    before = database_rows()
    response = client.patch(person_url(city.wang), {"version": 1, "phone": "2"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert database_rows() == before


def test_bad_email_names_the_field(city, api_as):
    response = api_as(city.wang).patch(
        person_url(city.wang), {"version": 1, "email": "not-an-email"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["email"] == ["Enter a valid email address."]


# --- cost -----------------------------------------------------------------------------------------


def _add_people(city, count: int) -> None:
    start = User.objects.count()
    for n in range(start, start + count):
        orgs.person_create(
            actor=None,
            username=f"person{n:03d}",
            display_name=f"人员{n}",
            password=None,
            memberships=[(city.tiexi_street, Role.HANDLER, ""), (city.tiexi, Role.LEADER, "")],
        )


@pytest.mark.parametrize("actor", ["admin", "tiexi_admin", "zhao"])
def test_list_queries_do_not_grow_with_rows(city, api_as, django_assert_max_num_queries, actor):
    client = api_as(getattr(city, actor))
    _add_people(city, 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(PEOPLE, {"page_size": 100}).json()["count"] >= 10
    _add_people(city, 40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(PEOPLE, {"page_size": 100}).json()["count"] >= 50


def test_admins_do_not_deactivate_themselves(city, api_as):
    client = api_as(city.tiexi_admin)
    response = client.patch(person_url(city.tiexi_admin), {"version": 1, "is_active": False})
    assert response.status_code == 403
    assert User.objects.get(pk=city.tiexi_admin.pk).is_active
