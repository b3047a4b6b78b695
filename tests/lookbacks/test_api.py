"""Look-backs, closing criteria, rectification lists and conveyance records over the API."""

from __future__ import annotations

from datetime import date

from luoshi.directives import services as directives
from luoshi.directives.models import ClauseKind
from luoshi.lookbacks.models import LookBack
from luoshi.tasks import services, workflow
from luoshi.tasks.models import Task
from tests.api.conftest import api_as  # noqa: F401 -- the fixture
from tests.rectification.helpers import evidence_upload


def test_schedule_list_and_record_a_look_back(desk, closed_task, api_as):  # noqa: F811
    city = desk.city
    zhao = api_as(city.zhao, HTTP_ACCEPT_LANGUAGE="en")
    url = f"/api/v1/tasks/{closed_task.pk}/lookbacks"
    bad = zhao.post(url, {"due_on": "2020-01-01"})
    assert bad.status_code == 422
    assert "due_on" in bad.json()["error"]["fields"]
    assert api_as(city.wang).post(url, {"due_on": "2024-05-06"}).status_code == 403
    assert api_as(city.sun).get(url).status_code == 404
    created = zhao.post(url, {"due_on": "2024-03-01"})
    assert created.status_code == 201
    body = created.json()
    assert (body["outcome"], body["origin"], body["due_on"]) == ("pending", "manual", "2024-03-01")
    assert [lb["id"] for lb in zhao.get(url).json()] == [body["id"]]

    record = f"/api/v1/lookbacks/{body['id']}/record"
    missing = zhao.client.post(record, {"version": 1, "outcome": "relapsed", "findings": "违建复建"})
    assert missing.status_code == 422
    assert "relapse_due_on" in missing.json()["error"]["fields"]
    done = zhao.client.post(
        record,
        {
            "version": 1,
            "outcome": "relapsed",
            "findings": "违建复建",
            "relapse_due_on": "2024-04-30",
            "files": [evidence_upload()],
        },
    )
    assert done.status_code == 200, done.content
    out = done.json()
    assert out["outcome"] == "relapsed"
    assert len(out["evidence_files"]) == 1
    assert Task.objects.get(pk=out["relapse_task_id"]).relapse_of_id == closed_task.pk
    stale = zhao.client.post(
        record, {"version": 1, "outcome": "consolidated", "findings": "x", "files": [evidence_upload()]}
    )
    assert stale.status_code == 409
    assert LookBack.objects.get().version == 2


def test_closing_checks_and_the_rectification_list(desk, api_as):  # noqa: F811
    city = desk.city
    inspection = directives.directive_create(
        actor=city.zhao,
        issuing_org=city.government,
        title="省督察反馈意见",
        level="provincial",
        kind="inspection",
        issued_on=date(2024, 1, 10),
    )
    problem = directives.clause_add(
        actor=city.zhao, directive=inspection, text="扬尘污染", kind=ClauseKind.PROBLEM
    )
    task = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="整改扬尘",
        due_on=date(2024, 6, 28),
        clause=problem,
    )
    task = workflow.task_assign(actor=city.zhao, task=task, version=task.version)
    workflow.task_acknowledge(actor=city.wang, task=task, version=task.version)

    wang = api_as(city.wang, HTTP_ACCEPT_LANGUAGE="en")
    url = f"/api/v1/tasks/{task.pk}/closing-checks"
    assert [c["met"] for c in wang.get(url).json()] == [False] * 4
    refused = wang.client.post(url, {"criterion": "mechanism"})
    assert refused.status_code == 422
    assert "files" in refused.json()["error"]["fields"]
    ticked = wang.client.post(
        url, {"criterion": "mechanism", "note": "巡查制度", "files": [evidence_upload()]}
    )
    assert ticked.status_code == 200
    assert [c["criterion"] for c in ticked.json() if c["met"]] == ["mechanism"]
    assert wang.delete(f"{url}/mechanism").json()[3]["met"] is False

    zhao = api_as(city.zhao, HTTP_ACCEPT_LANGUAGE="en")
    put = zhao.client.put(
        f"/api/v1/directives/{inspection.pk}/problems/{problem.pk}",
        '{"version": 1, "problem_source": "central", "deadline_type": "ongoing", "measures": "一\\n二"}',
        content_type="application/json",
    )
    assert put.status_code == 200, put.content
    assert put.json()["measures"] == ["一", "二"]
    rows = zhao.get(f"/api/v1/directives/{inspection.pk}/rectification").json()
    assert rows[0]["problem_source"] == "central"
    assert rows[0]["tasks"][0]["lead_org"]["id"] == city.tiexi.pk
    assert api_as(city.sun).get(f"/api/v1/directives/{inspection.pk}/rectification").status_code == 404


def test_conveyance_records(desk, api_as):  # noqa: F811
    city = desk.city
    desk.acknowledged_city_task()
    wang = api_as(city.wang, HTTP_ACCEPT_LANGUAGE="en")
    url = f"/api/v1/directives/{desk.directive.pk}/conveyances"
    bad = wang.post(url, {"org_id": city.tiexi.pk, "method": "meeting", "attendee_count": 0})
    assert bad.status_code == 422
    assert {"held_on", "attendee_count"} <= set(bad.json()["error"]["fields"])
    created = wang.post(
        url,
        {"org_id": city.tiexi.pk, "method": "study_session", "held_on": "2024-02-29", "attendee_count": 9},
    )
    assert created.status_code == 201
    assert api_as(city.chen).post(
        url, {"org_id": city.tiexi.pk, "method": "meeting", "held_on": "2024-02-29", "attendee_count": 3}
    ).status_code in {403, 404}
    rows = api_as(city.zhao).get(url).json()
    assert [(r["org"]["id"], r["conveyed"]) for r in rows] == [(city.tiexi.pk, True)]
