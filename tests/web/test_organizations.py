"""Organisation pages: the tree, a unit, editing, adding, moving, importing; who may do what."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from luoshi.audit.models import AuditEvent
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Organization, OrganizationKind


def _tree_state():
    return list(Organization.objects.order_by("pk").values_list("pk", "parent_id", "path", "name", "version"))


def _add_streets(city, count, start=0):
    for i in range(start, start + count):
        orgs.organization_create(
            actor=None, parent=city.tiexi, name=f"测试街道{i:03d}", kind=OrganizationKind.TOWNSHIP
        )


# --- the tree ---------------------------------------------------------------------------------------


def test_tree_links_every_visible_unit_and_only_those(login, city):
    body = login(city.wang).get(reverse("web:organization_list")).content.decode()
    for org in (city.government, city.tiexi, city.tiexi_street):
        assert f'href="/organizations/{org.pk}/"' in body
        assert org.name in body
    for hidden in (city.tiedong, city.tiedong_street, city.ecology_bureau):
        assert hidden.name not in body


def test_tree_for_a_supervisor_shows_the_whole_city(login, city):
    body = login(city.zhao).get(reverse("web:organization_list")).content.decode()
    for org in Organization.objects.all():
        assert f'href="/organizations/{org.pk}/"' in body


def test_tree_query_count_does_not_grow_with_the_tree(login, city, django_assert_max_num_queries):
    client = login(city.zhao)
    _add_streets(city, 10 - Organization.objects.count())
    client.get(reverse("web:organization_list"))  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("web:organization_list")).status_code == 200
    _add_streets(city, 50, start=100)
    assert Organization.objects.count() == 60
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("web:organization_list"))
    assert response.content.decode().count('href="/organizations/') >= 60


def test_tree_filter_serves_a_partial_to_htmx(login, city):
    client = login(city.zhao)
    response = client.get(reverse("web:organization_list"), {"q": "兴盛"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert city.tiexi_street.name in body
    # The units above a match stay, for context; others go.
    assert city.tiexi.name in body
    assert city.tiedong_street.name not in body
    assert "HX-Request" in response["Vary"]

    full = client.get(reverse("web:organization_list"), {"q": "兴盛"}).content.decode()
    assert "<html" in full
    assert city.tiexi_street.name in full


def test_tree_siblings_follow_sort_order(login, city):
    Organization.objects.filter(pk=city.tiedong.pk).update(sort_order=-1)
    body = login(city.zhao).get(reverse("web:organization_list")).content.decode()
    assert body.index(city.tiedong.name) < body.index(city.tiexi.name)


# --- a unit -----------------------------------------------------------------------------------------


def test_unit_page_shows_breadcrumb_children_people_and_allowed_actions(login, city):
    body = (
        login(city.tiexi_admin).get(reverse("web:organization_detail", args=[city.tiexi_street.pk])).content
    )
    text = body.decode()
    assert city.government.display_name in text
    assert city.tiexi.display_name in text
    assert "陈刚" in text
    assert reverse("web:organization_edit", args=[city.tiexi_street.pk]) in text
    assert reverse("web:organization_move", args=[city.tiexi_street.pk]) in text


def test_handler_sees_no_action_buttons(login, city):
    text = login(city.wang).get(reverse("web:organization_detail", args=[city.tiexi.pk])).content.decode()
    assert reverse("web:organization_edit", args=[city.tiexi.pk]) not in text
    assert "王芳" in text


@pytest.mark.parametrize("name", ["organization_detail", "organization_edit", "organization_move"])
def test_sibling_district_is_not_found(login, city, name):
    response = login(city.wang).get(reverse(f"web:{name}", args=[city.tiedong.pk]))
    assert response.status_code == 404


def test_posting_to_an_invisible_unit_is_not_found_and_changes_nothing(login, city):
    before = _tree_state()
    response = login(city.wang).post(
        reverse("web:organization_edit", args=[city.tiedong.pk]),
        {"name": "改名", "kind": "district", "sort_order": 0, "version": city.tiedong.version},
    )
    assert response.status_code == 404
    assert _tree_state() == before


def test_handler_may_not_edit_a_unit_they_can_see(login, city):
    before = _tree_state()
    response = login(city.wang).post(
        reverse("web:organization_edit", args=[city.tiexi.pk]),
        {"name": "改名", "kind": "district", "sort_order": 0, "version": city.tiexi.version},
    )
    assert response.status_code == 403
    assert _tree_state() == before


# --- edit -------------------------------------------------------------------------------------------


def _form(org, **changes):
    data = {
        "name": org.name,
        "short_name": org.short_name,
        "kind": org.kind,
        "region_code": org.region_code or "",
        "duties": org.duties,
        "sort_order": org.sort_order,
        "is_active": "on" if org.is_active else "",
        "version": org.version,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_district_admin_edits_a_street(login, city):
    street = city.tiexi_street
    response = login(city.tiexi_admin).post(
        reverse("web:organization_edit", args=[street.pk]),
        _form(street, short_name="兴盛", duties="社区治理"),
    )
    assert response.status_code == 302
    street.refresh_from_db()
    assert street.short_name == "兴盛"
    assert street.version == 2
    assert AuditEvent.objects.filter(action="organization.update", object_id=str(street.pk)).exists()


def test_stale_version_gets_a_conflict_and_keeps_the_input(login, city):
    street = city.tiexi_street
    client = login(city.tiexi_admin)
    stale = _form(street, short_name="我的简称")
    orgs.organization_update(actor=city.admin, org=street, version=street.version, short_name="别人的简称")

    response = client.post(reverse("web:organization_edit", args=[street.pk]), stale)

    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this record" in body
    assert 'value="我的简称"' in body
    assert "别人的简称" in body  # what is saved now is shown beside the input
    street.refresh_from_db()
    assert street.short_name == "别人的简称"
    # Saving again on purpose, with the version the conflict page carries, goes through.
    again = client.post(
        reverse("web:organization_edit", args=[street.pk]), {**stale, "version": street.version}
    )
    assert again.status_code == 302
    street.refresh_from_db()
    assert street.short_name == "我的简称"


def test_invalid_region_code_is_shown_on_its_field(login, city):
    street = city.tiexi_street
    response = login(city.tiexi_admin).post(
        reverse("web:organization_edit", args=[street.pk]), _form(street, region_code="21030")
    )
    assert response.status_code == 422
    assert 'id="id_region_code_error"' in response.content.decode()
    street.refresh_from_db()
    assert street.region_code is None


def test_duplicate_region_code_from_the_service_lands_on_the_field(login, city):
    street = city.tiexi_street
    response = login(city.tiexi_admin).post(
        reverse("web:organization_edit", args=[street.pk]), _form(street, region_code="210302")
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_region_code_error"' in body
    assert "Please correct the marked fields." in body


# --- new child --------------------------------------------------------------------------------------


def test_district_admin_adds_a_community_under_a_street(login, city):
    client = login(city.tiexi_admin)
    url = reverse("web:organization_new_child", args=[city.tiexi_street.pk])
    assert 'value="community" selected' in client.get(url).content.decode()
    response = client.post(url, {"name": "兴盛社区", "kind": "community", "sort_order": 0})
    assert response.status_code == 302
    child = Organization.objects.get(name="兴盛社区")
    assert child.parent_id == city.tiexi_street.pk
    assert response.url == reverse("web:organization_detail", args=[child.pk])


def test_handler_may_not_add_units(login, city):
    response = login(city.wang).post(
        reverse("web:organization_new_child", args=[city.tiexi.pk]),
        {"name": "新街道", "kind": "township", "sort_order": 0},
    )
    assert response.status_code == 403
    assert not Organization.objects.filter(name="新街道").exists()


# --- move -------------------------------------------------------------------------------------------


def test_move_offers_only_units_where_the_user_may_add(login, city):
    body = login(city.tiexi_admin).get(reverse("web:organization_move", args=[city.tiexi_street.pk])).content
    text = body.decode()
    assert city.tiexi.name in text
    assert city.tiedong.name not in text
    assert city.government.name not in text
    # The unit itself is listed but cannot be chosen.
    assert f'value="{city.tiexi_street.pk}" disabled' in text


def test_district_admin_may_not_move_their_own_district(login, city):
    before = _tree_state()
    response = login(city.tiexi_admin).post(
        reverse("web:organization_move", args=[city.tiexi.pk]),
        {"parent": city.tiexi_street.pk, "version": city.tiexi.version},
    )
    assert response.status_code == 403
    assert _tree_state() == before


def test_moving_a_district_under_its_own_street_is_refused_with_a_reason(login, city):
    before = _tree_state()
    response = login(city.admin).post(
        reverse("web:organization_move", args=[city.tiexi.pk]),
        {"parent": city.tiexi_street.pk, "version": city.tiexi.version},
    )
    assert response.status_code == 422
    assert "cannot be moved under itself or under one of its own sub-units" in response.content.decode()
    assert _tree_state() == before


def test_admin_moves_a_street_to_another_district(login, city):
    response = login(city.admin).post(
        reverse("web:organization_move", args=[city.tiexi_street.pk]),
        {"parent": city.tiedong.pk, "version": city.tiexi_street.version},
    )
    assert response.status_code == 302
    assert Organization.objects.get(pk=city.tiexi_street.pk).parent_id == city.tiedong.pk


# --- import -----------------------------------------------------------------------------------------


def _workbook(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "上级单位", "类型", "区划代码"])
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return SimpleUploadedFile(
        "units.xlsx", out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_import_page_is_for_administrators_only(login, city):
    assert login(city.wang).get(reverse("web:organization_import")).status_code == 403


def test_import_template_downloads(login, city):
    response = login(city.tiexi_admin).get(reverse("web:organization_import_template"))
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]


def test_import_creates_units_and_reports_the_count(login, city):
    upload = _workbook([["铁西区卫生健康局", "铁西区人民政府", "部门", None]])
    response = login(city.tiexi_admin).post(reverse("web:organization_import"), {"file": upload})
    assert response.status_code == 200
    assert Organization.objects.filter(name="铁西区卫生健康局", parent=city.tiexi).exists()
    assert "1 unit was created." in response.content.decode()


def test_import_with_errors_lists_them_and_creates_nothing(login, city):
    before = _tree_state()
    upload = _workbook([["好单位", "铁西区人民政府", "部门", None], ["坏单位", "不存在的单位", "部门", "12"]])
    response = login(city.tiexi_admin).post(reverse("web:organization_import"), {"file": upload})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Nothing was imported" in body
    assert '<td data-label="Row" class="num shrink">3</td>' in body
    assert _tree_state() == before


def test_import_refuses_a_file_that_is_not_xlsx(login, city):
    upload = SimpleUploadedFile("units.csv", b"name,parent\n", "text/csv")
    response = login(city.tiexi_admin).post(reverse("web:organization_import"), {"file": upload})
    assert response.status_code == 422
    assert "Choose an Excel workbook ending in .xlsx." in response.content.decode()
