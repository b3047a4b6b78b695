"""The rectification list, its export, the problem form, the closing criteria on the task page, and the
conveyance page, as their users see them."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from luoshi.directives import services as directives
from luoshi.directives.models import Clause, ClauseKind, ConveyanceRecord
from luoshi.tasks import services, workflow
from luoshi.tasks.models import ClosingCheck, ClosingCriterion
from tests.rectification.helpers import evidence_upload, meet_all_criteria


@pytest.fixture
def client() -> Client:
    return Client(headers={"Accept-Language": "en"})


def as_(client: Client, user) -> Client:
    client.force_login(user)
    return client


def add_problem(desk, inspection, text: str, lead=None):
    city = desk.city
    clause = directives.clause_add(actor=city.zhao, directive=inspection, text=text, kind=ClauseKind.PROBLEM)
    task = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=lead or city.tiexi,
        title=f"整改：{text}",
        due_on=date(2024, 6, 28),
        clause=clause,
        cooperating_orgs=[city.ecology_bureau],
    )
    task = workflow.task_assign(actor=city.zhao, task=task, version=task.version)
    return clause, workflow.task_acknowledge(actor=city.wang, task=task, version=task.version)


def test_the_list_shows_each_problem_and_does_not_grow_queries(client, desk, inspection):
    city = desk.city
    _clause, task = add_problem(desk, inspection, "扬尘污染治理不到位")
    meet_all_criteria(city.wang, task)
    url = reverse("web:rectification_list", args=[inspection.pk])
    zhao = as_(client, city.zhao)
    zhao.get(url)  # the first request of a session reads it and the person once more
    with CaptureQueriesContext(connection) as few:
        page = zhao.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "扬尘污染治理不到位" in body
    assert "4/4" in body  # every criterion met
    assert city.ecology_bureau.name in body
    for i in range(4):
        add_problem(desk, inspection, f"问题{i}")
    with CaptureQueriesContext(connection) as many:
        assert zhao.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_export_is_a_ledger_in_the_readers_language(client, desk, inspection):
    add_problem(desk, inspection, "河道垃圾清理不彻底")
    response = as_(client, desk.city.zhao).get(reverse("web:rectification_export", args=[inspection.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("No.", "Problem", "Problem source")
    assert rows[1][1] == "河道垃圾清理不彻底"
    assert rows[1][5] == desk.city.tiexi.name
    assert rows[1][8] == "0/4"


def test_the_issuer_edits_a_problem_and_errors_name_the_field(client, desk, inspection, problem):
    url = reverse("web:problem_edit", args=[inspection.pk, problem.pk])
    zhao = as_(client, desk.city.zhao)
    assert zhao.get(url).status_code == 200
    bad = zhao.post(
        url, {"problem_source": "central", "deadline_type": "by_date", "measures": "x", "version": 1}
    )
    assert bad.status_code == 422
    assert "Give the date by which the problem must be fixed." in bad.content.decode()
    assert Clause.objects.get(pk=problem.pk).deadline_type == ""
    good = zhao.post(
        url,
        {
            "problem_source": "central",
            "deadline_type": "by_date",
            "fix_by": "2024-06-30",
            "measures": "a\nb",
            "version": 1,
        },
    )
    assert good.status_code == 302
    assert Clause.objects.get(pk=problem.pk).measure_list() == ["a", "b"]
    # A district handler may not edit the inspection's problems (and does not even see this one).
    assert as_(client, desk.city.wang).get(url).status_code in {403, 404}


def test_outsiders_do_not_see_the_list(client, desk, inspection):
    add_problem(desk, inspection, "问题")
    assert (
        as_(client, desk.city.sun).get(reverse("web:rectification_list", args=[inspection.pk])).status_code
        == 404
    )
    # A meeting is no inspection: it has no rectification list.
    assert (
        as_(client, desk.city.zhao)
        .get(reverse("web:rectification_list", args=[desk.directive.pk]))
        .status_code
        == 404
    )


def test_the_lead_unit_ticks_criteria_on_the_task_page(client, desk, inspection):
    _clause, task = add_problem(desk, inspection, "扬尘污染治理不到位")
    wang = as_(client, desk.city.wang)
    page = wang.get(reverse("web:task_detail", args=[task.pk])).content.decode()
    assert "Closing criteria" in page
    assert "Tick a criterion" in page
    url = reverse("web:closing_tick", args=[task.pk])
    refused = wang.post(url, {"tick-criterion": ClosingCriterion.MECHANISM})
    assert refused.status_code == 422
    assert "Please attach the evidence that this criterion is met." in refused.content.decode()
    assert not ClosingCheck.objects.exists()
    done = wang.post(
        url,
        {
            "tick-criterion": ClosingCriterion.MECHANISM,
            "tick-note": "建立巡查制度",
            "tick-files": evidence_upload(),
        },
    )
    assert done.status_code == 302
    check = ClosingCheck.objects.get()
    assert (check.criterion, check.note, check.evidence_files.count()) == ("mechanism", "建立巡查制度", 1)
    # The supervisor sees the ticks but does not tick for the unit.
    assert as_(client, desk.city.zhao).post(url, {"tick-criterion": "meets_standard"}).status_code == 403
    untick = as_(client, desk.city.wang).post(reverse("web:closing_untick", args=[task.pk, "mechanism"]))
    assert untick.status_code == 302
    assert not ClosingCheck.objects.exists()


def test_the_conveyance_page_shows_who_has_not_recorded(client, desk):
    city = desk.city
    task = desk.acknowledged_city_task(cooperating_orgs=[city.ecology_bureau])
    url = reverse("web:conveyance", args=[desk.directive.pk])
    wang = as_(client, city.wang)
    page = wang.get(url).content.decode()
    assert "Record a conveyance" in page
    assert "Not yet" in page
    bad = wang.post(
        url, {"org": city.tiexi.pk, "method": "meeting", "held_on": "2099-01-01", "attendee_count": 0}
    )
    assert bad.status_code == 422
    assert not ConveyanceRecord.objects.exists()
    good = wang.post(
        url,
        {
            "org": city.tiexi.pk,
            "method": "meeting",
            "held_on": "2024-02-28",
            "attendee_count": 15,
            "notes": "区政府常务会传达学习",
        },
    )
    assert good.status_code == 302
    assert ConveyanceRecord.objects.get().attendee_count == 15
    zhao = as_(client, city.zhao)
    zhao.get(url)  # the first request of a session reads it and the person once more
    with CaptureQueriesContext(connection) as few:
        body = zhao.get(url).content.decode()
    assert "区政府常务会传达学习" in body
    assert "1 of the 2 units" in body
    # More units reached: the same number of queries.
    desk.street_task(task)
    for org in (city.tiedong,):
        t = services.task_create(
            actor=city.zhao,
            assigning_org=city.government,
            lead_org=org,
            title="铁东任务",
            due_on=date(2024, 6, 28),
            clause=desk.clause,
        )
        workflow.task_assign(actor=city.zhao, task=t, version=t.version)
    with CaptureQueriesContext(connection) as many:
        body = zhao.get(url).content.decode()
    assert "1 of the 4 units" in body
    assert len(many) == len(few)
    # The supervisor records nothing for a unit, so the form is not offered.
    assert "Record a conveyance" not in body


def test_the_directive_page_links_its_lists(client, desk, inspection):
    add_problem(desk, inspection, "问题")
    body = (
        as_(client, desk.city.zhao)
        .get(reverse("web:directive_detail", args=[inspection.pk]))
        .content.decode()
    )
    assert reverse("web:rectification_list", args=[inspection.pk]) in body
    assert reverse("web:conveyance", args=[inspection.pk]) in body
