"""People pages: the list, a person, editing people and their roles, adding people."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.organizations import services as orgs
from luoshi.organizations.models import Membership, Role, User
from tests.conftest import PASSWORD


def _people_state():
    return (
        list(User.objects.order_by("pk").values_list("pk", "display_name", "email", "is_active", "version")),
        list(Membership.objects.order_by("pk").values_list("user_id", "organization_id", "role")),
    )


def _add_people(city, count, start=0):
    for i in range(start, start + count):
        orgs.person_create(
            actor=None,
            username=f"person{i:03d}",
            display_name=f"测试人员{i:03d}",
            password=None,
            memberships=[(city.tiexi_street, Role.HANDLER, "科员")],
        )


def test_list_shows_visible_people_only(login, city):
    body = login(city.wang).get(reverse("web:person_list")).content.decode()
    assert "王芳" in body
    assert "陈刚" in body
    assert "孙丽" not in body
    assert "李强" not in body


def test_list_filters_by_unit_subtree_and_text(login, city):
    client = login(city.zhao)
    body = client.get(reverse("web:person_list"), {"org": city.tiexi.pk}).content.decode()
    assert "王芳" in body
    assert "陈刚" in body
    assert "孙丽" not in body
    body = client.get(reverse("web:person_list"), {"q": "孙"}).content.decode()
    assert "孙丽" in body
    assert "王芳" not in body


def test_list_query_count_does_not_grow(login, city, django_assert_max_num_queries):
    client = login(city.zhao)
    _add_people(city, 10)
    client.get(reverse("web:person_list"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("web:person_list"))
    _add_people(city, 50, start=100)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("web:person_list"))
    assert response.content.decode().count('href="/people/') >= 50


def test_list_is_paginated_by_fifty(login, city):
    _add_people(city, 60)
    client = login(city.zhao)
    first = client.get(reverse("web:person_list")).content.decode()
    row_link = '<td data-label="Name"><a href="/people/'
    assert first.count(row_link) == 50
    assert "page=2" in first
    second = client.get(reverse("web:person_list"), {"page": 2}).content.decode()
    assert second.count(row_link) == User.objects.count() - 50


def test_list_hides_roles_in_units_the_reader_cannot_see(login, city):
    orgs.person_update(
        actor=None,
        person=city.chen,
        version=city.chen.version,
        memberships=[(city.tiexi_street, Role.HANDLER, ""), (city.tiedong_street, Role.HANDLER, "")],
    )
    body = login(city.wang).get(reverse("web:person_list")).content.decode()
    assert city.tiedong_street.display_name not in body


def test_sibling_districts_person_is_not_found(login, city):
    client = login(city.wang)
    assert client.get(reverse("web:person_detail", args=[city.sun.pk])).status_code == 404
    before = _people_state()
    response = client.post(
        reverse("web:person_edit", args=[city.sun.pk]),
        {"display_name": "改名", "version": city.sun.version},
    )
    assert response.status_code == 404
    assert _people_state() == before


def test_handler_may_not_edit_a_colleague(login, city):
    before = _people_state()
    response = login(city.wang).post(
        reverse("web:person_edit", args=[city.chen.pk]),
        {"display_name": "改名", "version": city.chen.version},
    )
    assert response.status_code == 403
    assert _people_state() == before


def test_person_edits_own_details_but_not_own_roles(login, city):
    client = login(city.wang)
    page = client.get(reverse("web:person_edit", args=[city.wang.pk])).content.decode()
    assert "form-TOTAL_FORMS" not in page
    assert 'name="is_active"' not in page
    response = client.post(
        reverse("web:person_edit", args=[city.wang.pk]),
        {
            "display_name": "王芳",
            "phone": "13800000000",
            "language": "en",
            "version": city.wang.version,
            # A forged membership row is ignored: the form for oneself has no roles.
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "0",
            "form-0-organization": city.government.pk,
            "form-0-role": Role.ADMIN,
        },
    )
    assert response.status_code == 302
    city.wang.refresh_from_db()
    assert city.wang.phone == "13800000000"
    assert list(city.wang.memberships.values_list("organization_id", "role")) == [
        (city.tiexi.pk, Role.HANDLER)
    ]


@pytest.mark.parametrize("who", ["admin", "tiexi_admin", "superuser"])
def test_no_administrator_changes_their_own_roles(login, city, who):
    """Separation of duties: nobody grants themselves a role, superusers included."""
    person = (
        User.objects.create_superuser("root", password=PASSWORD) if who == "superuser" else getattr(city, who)
    )
    if who == "superuser":
        orgs.person_update(
            actor=None, person=person, version=None, memberships=[(city.tiexi, Role.HANDLER, "")]
        )
        person.refresh_from_db()
    before = _people_state()
    client = login(person)
    page = client.get(reverse("web:person_edit", args=[person.pk])).content.decode()
    assert "form-TOTAL_FORMS" not in page
    assert 'name="is_active"' not in page
    response = client.post(
        reverse("web:person_edit", args=[person.pk]),
        {
            "display_name": person.display_name,
            "version": person.version,
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "0",
            "form-0-organization": city.government.pk,
            "form-0-role": Role.SUPERVISOR,
            "is_active": "",
        },
    )
    assert response.status_code in {302, 422}
    assert _people_state()[1] == before[1]
    assert User.objects.get(pk=person.pk).is_active


def _person_form(person, rows, **changes):
    data = {
        "display_name": person.display_name,
        "email": person.email,
        "phone": person.phone,
        "language": person.language,
        "is_active": "on",
        "version": person.version,
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(Membership.objects.filter(user=person).count()),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, (org, role, title) in enumerate(rows):
        data[f"form-{i}-organization"] = org.pk
        data[f"form-{i}-role"] = role
        data[f"form-{i}-title"] = title
    data.update(changes)
    return data


def test_district_admin_changes_a_persons_roles(login, city):
    response = login(city.tiexi_admin).post(
        reverse("web:person_edit", args=[city.chen.pk]),
        _person_form(
            city.chen, [(city.tiexi_street, Role.HANDLER, "科员"), (city.tiexi_street, Role.HEAD, "")]
        ),
    )
    assert response.status_code == 302
    roles = set(city.chen.memberships.values_list("organization_id", "role", "title"))
    assert roles == {(city.tiexi_street.pk, Role.HANDLER, "科员"), (city.tiexi_street.pk, Role.HEAD, "")}


def test_district_admin_cannot_grant_a_role_outside_the_district(login, city):
    before = _people_state()
    response = login(city.tiexi_admin).post(
        reverse("web:person_edit", args=[city.chen.pk]),
        _person_form(city.chen, [(city.tiedong_street, Role.HANDLER, "")]),
    )
    assert response.status_code == 422
    assert _people_state() == before


def test_stale_person_version_is_a_conflict(login, city):
    client = login(city.tiexi_admin)
    stale = _person_form(city.chen, [(city.tiexi_street, Role.HANDLER, "")], display_name="陈刚刚")
    orgs.person_update(actor=city.admin, person=city.chen, version=city.chen.version, phone="139")
    response = client.post(reverse("web:person_edit", args=[city.chen.pk]), stale)
    assert response.status_code == 409
    assert "Someone else changed this record" in response.content.decode()
    city.chen.refresh_from_db()
    assert city.chen.display_name == "陈刚"


def test_district_admin_adds_a_person(login, city):
    client = login(city.tiexi_admin)
    page = client.get(reverse("web:person_new"), {"org": city.tiexi_street.pk}).content.decode()
    assert f'value="{city.tiexi_street.pk}" selected' in page
    response = client.post(
        reverse("web:person_new"),
        {
            "username": "zhoujie",
            "display_name": "周杰",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "language": "",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "0",
            "form-0-organization": city.tiexi_street.pk,
            "form-0-role": Role.HANDLER,
            "form-0-title": "网格员",
        },
    )
    assert response.status_code == 302
    person = User.objects.get(username="zhoujie")
    assert person.check_password(PASSWORD)
    assert list(person.memberships.values_list("organization_id", "role")) == [
        (city.tiexi_street.pk, "handler")
    ]


def test_new_person_needs_a_unit_and_a_free_username(login, city):
    client = login(city.tiexi_admin)
    before = _people_state()
    base = {
        "display_name": "周杰",
        "password": PASSWORD,
        "password_again": PASSWORD,
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
    }
    no_unit = client.post(reverse("web:person_new"), {**base, "username": "zhoujie"})
    assert no_unit.status_code == 422
    assert "Give the person at least one unit and role." in no_unit.content.decode()
    taken = client.post(
        reverse("web:person_new"),
        {**base, "username": "wangfang", "form-0-organization": city.tiexi.pk, "form-0-role": Role.HANDLER},
    )
    assert taken.status_code == 422
    assert 'id="id_username_error"' in taken.content.decode()
    assert _people_state() == before


def test_handler_may_not_add_people(login, city):
    assert login(city.wang).get(reverse("web:person_new")).status_code == 403
