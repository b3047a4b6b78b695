"""The indicator API: definitions with lights, targets with a checked split, values with revisions; the
one error shape naming the field, and nothing saved on error."""

from __future__ import annotations

import pytest
from django.test import Client

from luoshi.indicators.models import Indicator, IndicatorValue, Target
from tests.indicators.conftest import TODAY, report, target


@pytest.fixture(autouse=True)
def _today(settings):
    settings.LUOSHI_TODAY = TODAY.isoformat()


@pytest.fixture
def api(city):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(city.zhao)
    return client


def test_create_and_list_with_lights(api, city, indicators):
    target(indicators.pm25, city.tiexi, city.zhao, 40, 34)
    for month, value in enumerate((41, 42, 43), start=1):
        report(indicators.pm25, city.tiexi, city.wang, f"2026-{month:02d}", value)
    created = api.post(
        "/api/v1/indicators",
        {
            "code": "co2",
            "name": "二氧化碳排放量",
            "unit_of_measure": "万吨",
            "direction": "lower",
            "measure": "total",
            "owner_org": city.ecology_bureau.pk,
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["code"] == "co2"
    listed = api.get("/api/v1/indicators", {"org": city.tiexi.pk}).json()
    by_code = {i["code"]: i for i in listed["items"]}
    assert by_code["pm25"]["light"] == "red"
    assert by_code["pm25"]["level"] == 1
    assert by_code["co2"]["light"] is None


def test_unknown_formula_reference_is_named(api, city, indicators):
    response = api.post(
        "/api/v1/indicators",
        {
            "code": "x",
            "name": "x",
            "unit_of_measure": "1",
            "direction": "lower",
            "owner_org": city.ecology_bureau.pk,
            "formula": "energy / population",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["fields"]["formula"] == [
        "The formula refers to “population”, but no indicator has that code."
    ]
    assert not Indicator.objects.filter(code="x").exists()


def test_split_targets(api, city, indicators):
    url = f"/api/v1/indicators/{indicators.energy.pk}/targets"
    body = {
        "org": city.government.pk,
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "baseline": "1000",
        "target_value": "980",
        "parts": [
            {"org": city.tiexi.pk, "target_value": "500"},
            {"org": city.tiedong.pk, "target_value": "500"},
        ],
    }
    bad = api.post(url, body, content_type="application/json")
    assert bad.status_code == 422
    assert "(20 too much)" in bad.json()["error"]["fields"]["parts"][0]
    assert not Target.objects.exists()
    body["parts"][1]["target_value"] = "480"
    ok = api.post(url, body, content_type="application/json")
    assert ok.status_code == 201
    assert len(ok.json()) == 3
    assert api.get(url).json()["count"] == 3


def test_values_with_revisions_and_conflict(api, city, indicators):
    url = f"/api/v1/indicators/{indicators.pm25.pk}/values"
    first = {"org": city.tiexi.pk, "period": "2026-03", "value": "41", "source": "监测站"}
    assert api.post(url, first, content_type="application/json").status_code == 201
    again = api.post(url, first, content_type="application/json")
    assert again.status_code == 409
    fix = {**first, "value": "40", "status": "final", "revision": 1}
    assert api.post(url, fix, content_type="application/json").json()["revision"] == 2
    bad = api.post(url, {**first, "period": "2026-Q1"}, content_type="application/json")
    assert bad.status_code == 422
    assert "period" in bad.json()["error"]["fields"]
    current = api.get(url, {"org": city.tiexi.pk}).json()
    assert [(v["period"], v["value"], v["revision"]) for v in current["items"]] == [("2026-03", "40.0000", 2)]
    history = api.get(url, {"org": city.tiexi.pk, "history": "true"}).json()
    assert history["count"] == 2
    assert IndicatorValue.objects.count() == 2


def test_a_sibling_sees_no_other_district_values(city, indicators):
    report(indicators.pm25, city.tiexi, city.wang, "2026-03", 41)
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(city.sun)
    values = client.get(f"/api/v1/indicators/{indicators.pm25.pk}/values").json()
    assert values["count"] == 0
    response = client.post(
        f"/api/v1/indicators/{indicators.pm25.pk}/values",
        {"org": city.tiexi.pk, "period": "2026-04", "value": "41", "source": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
