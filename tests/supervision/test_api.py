"""Urgings and escalation rules over the API: the flows, the refusals in the one error shape."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.supervision.models import EscalationRule, Urging, UrgingStatus
from tests.api.conftest import ApiClient
from tests.supervision.conftest import snapshot


@pytest.fixture
def as_(api_as):
    def make(user) -> ApiClient:
        return api_as(user, HTTP_ACCEPT_LANGUAGE="en")

    return make


def urge(client: ApiClient, task_id: int, **body):
    payload = {"level": "notice", "reason": "请说明滞后原因", "respond_by": "2024-03-06", **body}
    return client.post(f"/api/v1/tasks/{task_id}/urgings", payload)


def test_a_supervisor_urges_and_the_unit_answers(desk, as_):
    task = desk.acknowledged_city_task()
    zhao, wang = as_(desk.city.zhao), as_(desk.city.wang)
    created = urge(zhao, task.pk)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["level"] == "notice"
    assert body["level_label"] == "Urging notice"
    assert body["to_org_name"] == "铁西区人民政府"
    assert body["status"] == "open"
    assert body["overdue"] is False

    listed = wang.get(f"/api/v1/tasks/{task.pk}/urgings").json()
    assert [u["id"] for u in listed["items"]] == [body["id"]]
    to_answer = wang.get("/api/v1/urgings", {"to_answer": "true"}).json()
    assert [u["id"] for u in to_answer["items"]] == [body["id"]]

    answered = wang.post(
        f"/api/v1/urgings/{body['id']}/respond", {"version": body["version"], "response": "本月底完成"}
    )
    assert answered.status_code == 200, answered.content
    assert answered.json()["status"] == "answered"
    assert answered.json()["responded_by_name"] == "王芳"

    stale = wang.post(
        f"/api/v1/urgings/{body['id']}/respond", {"version": body["version"], "response": "再答"}
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"

    closed = zhao.post(f"/api/v1/urgings/{body['id']}/close", {"version": body["version"] + 1, "note": ""})
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"


def test_refusals_use_the_error_shape_and_change_nothing(desk, as_):
    task = desk.acknowledged_city_task()
    zhao, wang, sun = as_(desk.city.zhao), as_(desk.city.wang), as_(desk.city.sun)
    before = snapshot()
    refused = urge(wang, task.pk)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    hidden = urge(sun, task.pk)
    assert hidden.status_code == 404
    invalid = urge(zhao, task.pk, respond_by=None)
    assert invalid.status_code == 422
    assert "respond_by" in invalid.json()["error"]["fields"]
    unknown = urge(zhao, task.pk, level="shout")
    assert unknown.status_code == 422
    assert snapshot() == before


def test_the_sibling_district_cannot_read_or_answer(desk, as_):
    task = desk.acknowledged_city_task()
    urging_id = urge(as_(desk.city.zhao), task.pk).json()["id"]
    sun = as_(desk.city.sun)
    assert sun.get(f"/api/v1/tasks/{task.pk}/urgings").status_code == 404
    assert sun.get(f"/api/v1/urgings/{urging_id}").status_code == 404
    answer = sun.post(f"/api/v1/urgings/{urging_id}/respond", {"version": 1, "response": "x"})
    assert answer.status_code == 404
    assert Urging.objects.get(pk=urging_id).status == UrgingStatus.OPEN
    assert sun.get("/api/v1/urgings").json()["count"] == 0


def test_the_overview_filters(desk, as_, clock):
    task = desk.acknowledged_city_task()
    zhao = as_(desk.city.zhao)
    urge(zhao, task.pk, respond_by="2024-03-04")
    urge(zhao, task.pk, level="order_red", respond_by="2024-03-08")
    clock.set(date(2024, 3, 5))
    everything = zhao.get("/api/v1/urgings").json()
    # The most severe first.
    assert [u["level"] for u in everything["items"]] == ["order_red", "notice"]
    assert [u["level"] for u in zhao.get("/api/v1/urgings", {"overdue": "true"}).json()["items"]] == [
        "notice"
    ]
    assert zhao.get("/api/v1/urgings", {"level": "order_red"}).json()["count"] == 1
    assert zhao.get("/api/v1/urgings", {"org": desk.city.tiedong.pk}).json()["count"] == 0
    # What a digest of the day's urgings leads to: that day's, addressed to the reader or their units.
    urge(zhao, task.pk, level="order_blue", respond_by="2024-03-08")
    wang = as_(desk.city.wang)
    today = {"issued_on": "2024-03-05", "mine": "true"}
    assert [u["level"] for u in wang.get("/api/v1/urgings", today).json()["items"]] == ["order_blue"]
    assert zhao.get("/api/v1/urgings", {"mine": "true"}).json()["count"] == 0
    assert zhao.get("/api/v1/urgings", {"issued_on": "2024-03-01"}).json()["count"] == 2
    refused = zhao.get("/api/v1/urgings", {"issued_on": "2024-13-40"})
    assert refused.status_code == 422


def test_the_ladder_is_read_by_all_and_changed_by_the_city_administrator(city, as_):
    rules = as_(city.wang).get("/api/v1/escalation-rules")
    assert rules.status_code == 200
    assert [r["level"] for r in rules.json()][:2] == ["reminder", "notice"]
    blue = next(r for r in rules.json() if r["level"] == "order_blue")
    refused = as_(city.tiexi_admin).client.put(
        "/api/v1/escalation-rules",
        f'[{{"level": "order_blue", "version": {blue["version"]}, "days_after_due": 4}}]',
        content_type="application/json",
    )
    assert refused.status_code == 403
    changed = as_(city.admin).client.put(
        "/api/v1/escalation-rules",
        f'[{{"level": "order_blue", "version": {blue["version"]}, "days_after_due": 4, '
        '"urgent_days_after_due": null}]',
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    rule = EscalationRule.objects.get(level="order_blue")
    assert (rule.days_after_due, rule.urgent_days_after_due) == (4, None)
    bad = as_(city.admin).client.put(
        "/api/v1/escalation-rules",
        '[{"level": "order_orange", "version": 1, "days_after_due": 2}]',
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "order_orange.days_after_due" in bad.json()["error"]["fields"]
