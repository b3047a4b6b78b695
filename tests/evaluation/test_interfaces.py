"""The evaluation through its interfaces: the API (tables, rankings, drill-down) and the pages."""

from __future__ import annotations

import pytest
from django.test import Client

from luoshi.evaluation import services
from luoshi.evaluation.models import Evaluation, Scheme, Score, SubjectKind
from luoshi.evaluation.periods import Period
from tests.evaluation.conftest import Quarter


@pytest.fixture
def client() -> Client:
    return Client(headers={"Accept-Language": "en"})


def test_api_computes_lists_and_drills_down(quarter: Quarter, client: Client) -> None:
    city = quarter.desk.city
    client.force_login(city.zhao)
    created = client.post("/api/v1/evaluations", {"period": "2024-Q1"}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert next(p["component"] for p in body["formula"]) == "on_time"
    listed = client.get("/api/v1/evaluations?period=2024-Q1").json()
    assert listed["count"] == 1
    detail = client.get(f"/api/v1/evaluations/{body['id']}").json()
    names = [r["name"] for r in detail["rows"]]
    assert names.index("铁西区") < names.index("铁东区")
    tiedong = next(r for r in detail["rows"] if r["name"] == "铁东区")
    losses = client.get(f"/api/v1/evaluations/{body['id']}/scores/{tiedong['score_id']}/losses").json()
    assert {loss["task_id"] for loss in losses} == {quarter.overdue.pk}
    rankings = client.get("/api/v1/rankings?period=2024-Q1").json()
    assert [r["name"] for r in rankings] == names


def test_api_names_a_bad_period(quarter: Quarter, client: Client) -> None:
    client.force_login(quarter.desk.city.zhao)
    answer = client.get("/api/v1/rankings?period=2024-Q5")
    assert answer.status_code == 422
    assert "period" in answer.json()["error"]["fields"]


def test_api_refuses_a_handler_computing(quarter: Quarter, client: Client) -> None:
    client.force_login(quarter.desk.city.wang)
    answer = client.post("/api/v1/evaluations", {"period": "2024-Q1"}, content_type="application/json")
    assert answer.status_code == 403
    assert not Evaluation.objects.exists()


def test_a_district_sees_only_what_it_may(quarter: Quarter, client: Client) -> None:
    city = quarter.desk.city
    evaluation = services.evaluation_run(actor=city.zhao, period=Period.parse("2024-Q1"))
    client.force_login(city.wang)
    detail = client.get(f"/api/v1/evaluations/{evaluation.pk}").json()
    assert [r["name"] for r in detail["rows"]] == ["铁西区"]
    hidden = Score.objects.get(evaluation=evaluation, kind=SubjectKind.UNIT, organization=city.tiedong)
    assert client.get(f"/api/v1/evaluations/{evaluation.pk}/scores/{hidden.pk}/losses").status_code == 404


def test_league_page_shows_movement_in_words_and_the_formula(quarter: Quarter, client: Client) -> None:
    city = quarter.desk.city
    services.evaluation_run(actor=city.zhao, period=Period.parse("2024-02"))
    services.evaluation_run(actor=city.zhao, period=Period.parse("2024-03"))
    client.force_login(city.zhao)
    page = client.get("/evaluation/?period=2024-03")
    assert page.status_code == 200
    html = page.content.decode()
    assert "铁西区" in html
    assert "How scores are made" in html
    assert "unchanged" in html or "up " in html or "down " in html
    assert "Recompute from the record" in html


def test_score_page_lists_every_point_lost(quarter: Quarter, client: Client) -> None:
    city = quarter.desk.city
    evaluation = services.evaluation_run(actor=city.zhao, period=Period.parse("2024-Q1"))
    score = Score.objects.get(evaluation=evaluation, kind=SubjectKind.UNIT, organization=city.tiedong)
    client.force_login(city.zhao)
    html = client.get(f"/evaluation/{evaluation.pk}/scores/{score.pk}/").content.decode()
    assert quarter.overdue.title in html
    assert "Every point lost" in html


def test_compute_from_the_page(quarter: Quarter, client: Client) -> None:
    client.force_login(quarter.desk.city.zhao)
    answer = client.post("/evaluation/compute/", {"period": "2024-Q1"})
    assert answer.status_code == 302
    assert Evaluation.objects.filter(period_key="2024-Q1").exists()


def test_league_page_query_count_does_not_grow_with_units(
    quarter: Quarter, client: Client, django_assert_max_num_queries
) -> None:
    from tests.factories import OrganizationFactory

    city = quarter.desk.city
    services.evaluation_run(actor=city.zhao, period=Period.parse("2024-Q1"))
    client.force_login(city.zhao)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get("/evaluation/?period=2024-Q1")
    OrganizationFactory.create_batch(8, parent=city.government)
    services.evaluation_run(actor=city.zhao, period=Period.parse("2024-Q1"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/evaluation/?period=2024-Q1")


def test_scheme_editor_checks_the_weights_and_saves(quarter: Quarter, client: Client) -> None:
    city = quarter.desk.city
    client.force_login(city.admin)
    form = {
        "name": "2024年考核办法",
        "weight_on_time": 40,
        "weight_verification": 10,
        "weight_reports": 10,
        "weight_urgings": 10,
        "weight_indicators": 10,
        "weight_relapses": 10,
        "relapse_points": 25,
        "flag_jump_points": 50,
        "flag_relapse_days": 90,
        "flag_copy_min_chars": 20,
        "urging_reminder": 2,
        "urging_notice": 5,
        "urging_order_blue": 10,
        "urging_order_orange": 15,
        "urging_order_red": 20,
        "urging_talk": 30,
        "urging_referral": 50,
        "activate": "1",
    }
    bad = client.post("/evaluation/schemes/new/", form)
    assert bad.status_code == 422
    assert "add up to 100" in bad.content.decode()
    assert not Scheme.objects.exists()
    form["weight_on_time"] = 50
    assert client.post("/evaluation/schemes/new/", form).status_code == 302
    scheme = Scheme.objects.get()
    assert scheme.is_active
    assert scheme.weight_on_time == 50
    client.force_login(city.wang)
    assert client.get("/evaluation/schemes/new/").status_code == 403
