"""Supervision pages: the urgings on the task page, My work, the overview and the escalation rules."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.supervision import services
from luoshi.supervision.models import EscalationRule, Urging, UrgingLevel, UrgingStatus
from tests.supervision.conftest import snapshot


def urge(
    desk, task, level=UrgingLevel.NOTICE, respond_by=date(2024, 3, 6), reason="请说明滞后原因"
) -> Urging:
    return services.urging_issue(
        actor=desk.city.zhao, task=task, level=level, reason=reason, respond_by=respond_by
    )


def page(client, task) -> str:
    response = client.get(reverse("web:task_detail", args=[task.pk]))
    assert response.status_code == 200
    return response.content.decode()


def section(body: str) -> str:
    start = body.index('id="urgings"')
    return body[start : body.index("</section>", start)]


def test_the_task_page_lists_urgings_with_their_level_and_the_answer_form(login, desk):
    task = desk.acknowledged_city_task()
    urging = urge(desk, task, level=UrgingLevel.ORDER_RED)
    part = section(page(login(desk.city.wang), task))
    assert "Supervision order (red)" in part
    assert "(level 5 of 7)" in part  # the rung is told in words, not by colour alone
    assert "请说明滞后原因" in part
    assert reverse("web:urging_respond", args=[urging.pk]) in part
    assert reverse("web:urging_issue", args=[task.pk]) not in part
    supervisor = section(page(login(desk.city.zhao), task))
    assert reverse("web:urging_issue", args=[task.pk]) in supervisor
    assert reverse("web:urging_close", args=[urging.pk]) in supervisor
    assert reverse("web:urging_respond", args=[urging.pk]) not in supervisor


def test_a_supervisor_urges_from_the_task_page(login, desk):
    task = desk.acknowledged_city_task()
    client = login(desk.city.zhao)
    url = reverse("web:urging_issue", args=[task.pk])
    response = client.post(
        url,
        {"level": "notice", "reason": "尽快报送进展", "respond_by": "2024-03-06", "to_person": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The urging was issued" in body
    assert "尽快报送进展" in section(body)
    urging = Urging.objects.get()
    # The task names no handler: the urging goes to the lead unit as a whole.
    assert (urging.level, urging.to_person, urging.issued_by) == ("notice", None, desk.city.zhao)


def test_a_bad_urging_comes_back_with_the_field_named_and_nothing_saved(login, desk):
    task = desk.acknowledged_city_task()
    client = login(desk.city.zhao)
    before = snapshot()
    response = client.post(
        reverse("web:urging_issue", args=[task.pk]), {"level": "notice", "reason": "原因", "respond_by": ""}
    )
    assert response.status_code == 422
    body = section(response.content.decode())
    assert "Give the date by which the unit must answer." in body
    assert "原因" in body  # the person's input is kept
    assert snapshot() == before


def test_the_lead_unit_cannot_urge_and_a_sibling_sees_nothing(login, desk):
    task = desk.acknowledged_city_task()
    data = {"level": "notice", "reason": "原因", "respond_by": "2024-03-06"}
    before = snapshot()
    assert login(desk.city.wang).post(reverse("web:urging_issue", args=[task.pk]), data).status_code == 403
    assert login(desk.city.sun).post(reverse("web:urging_issue", args=[task.pk]), data).status_code == 404
    assert snapshot() == before


def test_the_lead_unit_answers_from_the_page(login, desk):
    task = desk.acknowledged_city_task()
    urging = urge(desk, task)
    client = login(desk.city.wang)
    url = reverse("web:urging_respond", args=[urging.pk])
    empty = client.post(url, {"response": " ", "version": urging.version})
    assert empty.status_code == 422
    response = client.post(url, {"response": "已落实整改措施", "version": urging.version})
    assert response.status_code == 302
    urging.refresh_from_db()
    assert urging.status == UrgingStatus.ANSWERED
    assert "已落实整改措施" in section(page(client, task))
    # A sibling district cannot answer it, nor see it.
    assert login(desk.city.sun).post(url, {"response": "x", "version": urging.version}).status_code == 404


def test_a_supervisor_closes_from_the_page(login, desk):
    task = desk.acknowledged_city_task()
    urging = urge(desk, task)
    client = login(desk.city.zhao)
    response = client.post(
        reverse("web:urging_close", args=[urging.pk]), {"note": "已核实", "version": urging.version}
    )
    assert response.status_code == 302
    urging.refresh_from_db()
    assert urging.status == UrgingStatus.CLOSED
    assert (
        login(desk.city.wang)
        .post(reverse("web:urging_close", args=[urging.pk]), {"note": "x", "version": urging.version})
        .status_code
        == 403
    )


def test_the_task_page_costs_the_same_with_more_urgings(login, desk):
    task = desk.acknowledged_city_task()
    urge(desk, task)
    client = login(desk.city.zhao)
    page(client, task)
    with CaptureQueriesContext(connection) as few:
        page(client, task)
    for level in (UrgingLevel.ORDER_BLUE, UrgingLevel.ORDER_ORANGE, UrgingLevel.TALK):
        urge(desk, task, level=level)
    with CaptureQueriesContext(connection) as many:
        page(client, task)
    assert len(many) == len(few)


def work_section(body: str) -> str:
    start = body.index('id="work-urgings"')
    return body[start : body.index("</section>", start)]


def test_my_work_shows_the_urgings_to_answer(login, desk):
    task = desk.acknowledged_city_task(title="被督办的任务")
    urge(desk, task)
    client = login(desk.city.wang)
    part = work_section(client.get(reverse("web:mywork")).content.decode())
    assert "Urgings to answer" in part
    assert "被督办的任务" in part
    assert "Urging notice" in part
    other = work_section(login(desk.city.sun).get(reverse("web:mywork")).content.decode())
    assert "被督办的任务" not in other
    assert "No urging waits for your answer." in other


def test_my_work_costs_the_same_with_more_urgings(login, desk):
    task = desk.acknowledged_city_task()
    urge(desk, task)
    client = login(desk.city.wang)
    client.get(reverse("web:mywork"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("web:mywork"))
    other = desk.acknowledged_city_task(title="另一项")
    for _ in range(3):
        urge(desk, other)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("web:mywork"))
    assert len(many) == len(few)


def test_the_overview_lists_and_filters_urgings(login, desk, clock):
    task = desk.acknowledged_city_task(title="督办任务")
    urge(desk, task, respond_by=date(2024, 3, 4))
    urge(desk, task, level=UrgingLevel.ORDER_RED, respond_by=date(2024, 3, 8))
    clock.set(date(2024, 3, 5))
    client = login(desk.city.zhao)
    body = client.get(reverse("web:supervision_overview")).content.decode()
    assert "督办任务" in body
    assert body.index("Supervision order (red)", body.index('id="urging-results"')) < body.rindex(
        "Urging notice"
    )
    late = client.get(reverse("web:supervision_overview"), {"overdue": "on"}, HTTP_HX_REQUEST="true")
    assert late.status_code == 200
    text = late.content.decode()
    assert text.startswith('<div id="urging-results">')
    assert "Urging notice" in text
    assert "Supervision order (red)" not in text
    assert "督办任务" not in login(desk.city.sun).get(reverse("web:supervision_overview")).content.decode()


def test_the_overview_narrows_to_one_day_and_to_what_was_addressed_to_me(login, desk, clock):
    """Where a digest of the day's urgings leads: that day's, addressed to the reader or their units."""
    first_day = clock.today
    ours = desk.acknowledged_city_task(title="铁西区的任务")
    theirs = desk.city_task(title="铁东区的任务", lead=desk.city.tiedong)
    urge(desk, ours)
    urge(desk, theirs)
    clock.set(date(2024, 3, 5))
    urge(desk, ours, level=UrgingLevel.ORDER_BLUE, respond_by=date(2024, 3, 8))
    url = reverse("web:supervision_overview")

    def listed(person, **query) -> str:
        response = login(person).get(url, {"status": "", **query}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return response.content.decode()

    mine = listed(desk.city.wang, mine="on", issued_on="2024-03-05")
    assert "铁西区的任务" in mine
    assert "Supervision order (blue)" in mine
    assert "Urging notice" not in mine
    everyone = listed(desk.city.zhao, issued_on=first_day.isoformat())
    assert "铁西区的任务" in everyone
    assert "铁东区的任务" in everyone
    # The supervisor issued them but leads neither unit: none was addressed to them.
    assert "铁西区的任务" not in listed(desk.city.zhao, mine="on")
    # A date that is none is said so on the form, and the list is not narrowed by it.
    bad = login(desk.city.zhao).get(url, {"issued_on": "2024-13-40"}).content.decode()
    assert "Enter a valid date." in bad
    assert "铁东区的任务" in bad


def test_the_overview_costs_the_same_with_more_urgings(login, desk):
    task = desk.acknowledged_city_task()
    urge(desk, task)
    client = login(desk.city.zhao)
    client.get(reverse("web:supervision_overview"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("web:supervision_overview"))
    other = desk.city_task(title="另一项", lead=desk.city.tiedong)
    for level in (UrgingLevel.ORDER_BLUE, UrgingLevel.TALK, UrgingLevel.REFERRAL):
        urge(desk, other, level=level)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("web:supervision_overview"))
    assert len(many) == len(few)


def rules_post(**changes) -> dict:
    data = {}
    for rule in EscalationRule.objects.all():
        values = {
            "days_after_due": rule.days_after_due,
            "urgent_days_after_due": "" if rule.urgent_days_after_due is None else rule.urgent_days_after_due,
            "respond_working_days": "" if rule.respond_working_days is None else rule.respond_working_days,
            "recipients": rule.recipients,
            "version": rule.version,
        }
        if rule.is_active:
            values["is_active"] = "on"
        values.update(changes.get(rule.level, {}))
        data.update({f"{rule.level}-{k}": v for k, v in values.items()})
    return data


def test_the_city_administrator_edits_the_ladder(login, city):
    client = login(city.admin)
    body = client.get(reverse("web:escalation_rules")).content.decode()
    assert "Save the rules" in body
    response = client.post(reverse("web:escalation_rules"), rules_post(order_blue={"days_after_due": 4}))
    assert response.status_code == 302
    assert EscalationRule.objects.get(level="order_blue").days_after_due == 4
    bad = client.post(
        reverse("web:escalation_rules"),
        rules_post(order_orange={"days_after_due": 1, "urgent_days_after_due": 0}),
    )
    assert bad.status_code == 422
    assert "Each level in use must come later" in bad.content.decode()
    assert EscalationRule.objects.get(level="order_orange").days_after_due == 10


def test_others_read_the_ladder_but_cannot_change_it(login, city):
    client = login(city.tiexi_admin)
    body = client.get(reverse("web:escalation_rules")).content.decode()
    assert "Save the rules" not in body
    assert "Admonition talk" in body
    assert (
        client.post(reverse("web:escalation_rules"), rules_post(notice={"days_after_due": 2})).status_code
        == 403
    )
    assert EscalationRule.objects.get(level="notice").days_after_due == 0


@pytest.mark.usefixtures("english")
def test_the_navigation_links_to_supervision(login, city):
    body = login(city.zhao).get(reverse("web:home")).content.decode()
    assert reverse("web:supervision_overview") in body
