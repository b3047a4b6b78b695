"""Indicator pages through the test client, in English: list with lights, detail with its chart and
per-district table, the target and value forms (bad input named, nothing saved), rectification, links."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.indicators.models import IndicatorValue, Target, TaskIndicatorLink
from luoshi.organizations import services as orgs
from luoshi.tasks.models import Task
from luoshi.tasks.services import task_create
from tests.indicators.conftest import TODAY, report, target


@pytest.fixture(autouse=True)
def _today(settings):
    settings.LUOSHI_TODAY = TODAY.isoformat()


@pytest.fixture
def client() -> Client:
    return Client(headers={"Accept-Language": "en"})


def _pm25_city(city, indicators, tiexi_values=(41, 42, 42, 43, 42, 41)):
    from luoshi.indicators.services import Part

    target(
        indicators.pm25,
        city.government,
        city.zhao,
        40,
        34,
        [Part(city.tiexi, Decimal(34)), Part(city.tiedong, Decimal(34))],
    )
    for month, value in enumerate(tiexi_values, start=1):
        report(indicators.pm25, city.tiexi, city.wang, f"2026-{month:02d}", value)
    for month, value in enumerate((39, 38, 37, 37, 36, 36), start=1):
        report(indicators.pm25, city.tiedong, city.sun, f"2026-{month:02d}", value)


def test_list_shows_lights_with_words(client, city, indicators):
    _pm25_city(city, indicators)
    client.force_login(city.zhao)
    body = client.get(reverse("web:indicator_list"), {"org": city.tiexi.pk}).content.decode()
    assert "PM2.5平均浓度" in body
    assert "Red light" in body
    assert "Level 1: worsened" in body


def test_detail_has_chart_text_alternative_and_district_table(client, city, indicators):
    _pm25_city(city, indicators)
    client.force_login(city.zhao)
    response = client.get(
        reverse("web:indicator_detail", args=[indicators.pm25.pk]), {"org": city.government.pk}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "铁西区" in body
    assert "铁东区" in body
    assert "Open a rectification task" in body  # 铁西区 is red
    detail = client.get(reverse("web:indicator_detail", args=[indicators.pm25.pk]), {"org": city.tiexi.pk})
    text = detail.content.decode()
    assert '<svg class="chart"' in text
    assert 'role="img"' in text
    assert "<desc" in text
    assert "The numbers behind the chart" in text
    assert "2026-06" in text


def test_detail_query_count_does_not_grow_with_units(client, city, indicators):
    _pm25_city(city, indicators)
    client.force_login(city.zhao)
    url = reverse("web:indicator_detail", args=[indicators.pm25.pk])
    client.get(url, {"org": city.government.pk})  # warm the per-process caches (content types, …)
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"org": city.government.pk})
    from luoshi.indicators.services import Part

    extra = [
        orgs.organization_create(actor=None, parent=city.government, name=f"新区{i}", kind="district")
        for i in range(4)
    ]
    target(indicators.pm25, city.government, city.zhao, 40, 34, [Part(o, Decimal(33)) for o in extra])
    for unit in extra:
        report(indicators.pm25, unit, city.zhao, "2026-01", 41)
    with CaptureQueriesContext(connection) as large:
        body = client.get(url, {"org": city.government.pk}).content.decode()
    assert "新区3" in body
    assert len(large.captured_queries) == len(small.captured_queries)


def test_split_that_does_not_add_up_is_named_on_the_page_and_nothing_saved(client, city, indicators):
    client.force_login(city.zhao)
    url = reverse("web:indicator_target_new", args=[indicators.energy.pk]) + f"?org={city.government.pk}"
    form = client.get(url).content.decode()
    assert "铁西区" in form
    response = client.post(
        url,
        {
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "baseline": "1000",
            "target_value": "1000",
            f"part_{city.tiexi.pk}_target": "500",
            f"part_{city.tiedong.pk}_target": "400",
        },
    )
    assert response.status_code == 422
    assert "The parts add up to 900, not 1000" in response.content.decode()
    assert not Target.objects.exists()
    ok = client.post(
        url,
        {
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "baseline": "1000",
            "target_value": "1000",
            f"part_{city.tiexi.pk}_target": "600",
            f"part_{city.tiedong.pk}_target": "400",
        },
    )
    assert ok.status_code == 302
    assert Target.objects.count() == 3


def test_value_for_a_period_that_does_not_exist_is_named(client, city, indicators):
    client.force_login(city.wang)
    url = reverse("web:indicator_value_new", args=[indicators.pm25.pk])
    response = client.post(
        url,
        {
            "org": city.tiexi.pk,
            "period": "2026-13",
            "value": "40",
            "status": "provisional",
            "source": "监测站",
        },
    )
    assert response.status_code == 422
    assert "There is no period “2026-13”" in response.content.decode()
    assert not IndicatorValue.objects.exists()
    assert (
        client.post(
            url,
            {
                "org": city.tiexi.pk,
                "period": "2026-03",
                "value": "40",
                "status": "provisional",
                "source": "监测站",
            },
        ).status_code
        == 302
    )
    # Correcting: the form knows the revision, the earlier value stays.
    form = client.get(url, {"org": city.tiexi.pk, "period": "2026-03"}).content.decode()
    assert 'name="revision" value="1"' in form
    assert (
        client.post(
            url,
            {
                "org": city.tiexi.pk,
                "period": "2026-03",
                "value": "39",
                "status": "final",
                "source": "监测站",
                "revision": "1",
            },
        ).status_code
        == 302
    )
    assert IndicatorValue.objects.count() == 2


def test_rectify_opens_a_task_in_one_action(client, city, indicators):
    _pm25_city(city, indicators)
    client.force_login(city.zhao)
    response = client.post(
        reverse("web:indicator_rectify", args=[indicators.pm25.pk]), {"org": city.tiexi.pk}
    )
    task = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:task_detail", args=[task.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Indicators it should move" in page
    assert "PM2.5平均浓度" in page


def test_a_task_links_an_indicator_from_its_page(client, city, indicators):
    task = task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="治理扬尘",
        due_on=date(2026, 12, 31),
        start_on=TODAY,
    )
    client.force_login(city.zhao)
    assert "Link an indicator" in client.get(reverse("web:task_detail", args=[task.pk])).content.decode()
    url = reverse("web:indicator_task_link", args=[task.pk])
    bad = client.post(url, {"indicator": indicators.pm25.pk, "org": city.tiexi.pk, "expected_change": "3"})
    assert bad.status_code == 422
    assert not TaskIndicatorLink.objects.exists()
    ok = client.post(url, {"indicator": indicators.pm25.pk, "org": city.tiexi.pk, "expected_change": "-3"})
    assert ok.status_code == 302
    assert TaskIndicatorLink.objects.get().expected_change == Decimal(-3)


def test_sibling_district_cannot_report_for_another(client, city, indicators):
    client.force_login(city.sun)
    url = reverse("web:indicator_value_new", args=[indicators.pm25.pk])
    response = client.post(
        url,
        {"org": city.tiexi.pk, "period": "2026-03", "value": "40", "status": "provisional", "source": "x"},
    )
    assert response.status_code == 422  # 铁西区 is not among the units offered to 孙丽
    assert not IndicatorValue.objects.exists()


def test_define_an_indicator_from_the_page(client, city, indicators):
    client.force_login(city.li)  # head of the ecology bureau: defines its indicators
    url = reverse("web:indicator_new")
    assert "Define an indicator" in client.get(reverse("web:indicator_list")).content.decode()
    data = {
        "name": "单位GDP二氧化碳排放",
        "code": "co2_intensity",
        "unit_of_measure": "吨/万元",
        "direction": "lower",
        "frequency": "monthly",
        "measure": "level",
        "owner_org": city.ecology_bureau.pk,
        "formula": "co2 / gdp",
    }
    bad = client.post(url, data)
    assert bad.status_code == 422
    assert "The formula refers to “co2”, but no indicator has that code." in bad.content.decode()
    ok = client.post(url, {**data, "formula": "energy / gdp"})
    assert ok.status_code == 302
    client.force_login(city.wang)
    assert client.get(url).status_code == 403


def test_list_query_count_does_not_grow_with_indicators(client, city, indicators):
    from luoshi.indicators import services
    from luoshi.indicators.models import Direction

    client.force_login(city.zhao)
    url = reverse("web:indicator_list")
    client.get(url, {"org": city.tiexi.pk})
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"org": city.tiexi.pk})
    for i in range(5):
        made = services.indicator_create(
            actor=city.zhao,
            owner_org=city.ecology_bureau,
            code=f"extra{i}",
            name=f"指标{i}",
            unit_of_measure="1",
            direction=Direction.LOWER,
            formula="energy / gdp" if i % 2 else "",
        )
        target(made, city.tiexi, city.zhao, 10, 9)
    with CaptureQueriesContext(connection) as large:
        body = client.get(url, {"org": city.tiexi.pk}).content.decode()
    assert "指标4" in body
    assert len(large.captured_queries) == len(small.captured_queries)


def test_target_form_shows_the_targets_set_and_refuses_a_stale_edit(client, city, indicators):
    from luoshi.indicators.services import Part

    target(
        indicators.energy,
        city.government,
        city.zhao,
        1000,
        900,
        [Part(city.tiexi, Decimal(500)), Part(city.tiedong, Decimal(400))],
    )
    client.force_login(city.zhao)
    url = reverse("web:indicator_target_new", args=[indicators.energy.pk]) + f"?org={city.government.pk}"
    form = client.get(url).content.decode()
    assert 'name="version" value="1"' in form
    assert f'name="part_{city.tiexi.pk}_target" value="500' in form
    target(indicators.energy, city.government, city.zhao, 1000, 950)  # someone else changes it meanwhile
    stale = client.post(
        url,
        {
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "baseline": "1000",
            "target_value": "800",
            "version": "1",
        },
    )
    assert stale.status_code == 409
    assert Target.objects.get(org=city.government).target_value == Decimal(950)
