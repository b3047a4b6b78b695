"""My work: what each persona must act on, section by section, and the summary on the home page."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.tasks import requests as extension_requests
from luoshi.tasks import workflow

pytestmark = pytest.mark.usefixtures("english")


def section(body: str, key: str) -> str:
    """The HTML of one section of My work."""
    start = body.index(f'id="work-{key}"')
    return body[start : body.index("</section>", start)]


def test_wang_sees_the_task_to_acknowledge_with_its_deadline(login, desk):
    task = desk.city_task(title="整治铁西区黑臭水体")
    body = login(desk.city.wang).get(reverse("web:mywork")).content.decode()
    part = section(body, "acknowledge")
    assert "整治铁西区黑臭水体" in part
    assert reverse("web:task_detail", kwargs={"pk": task.pk}) in part
    assert task.acknowledge_due_on.isoformat() in part
    assert "市政府常务会议纪要" in part  # the directive it came from
    assert "light-" in part
    # Sun works in the sibling district: nothing of 铁西区 reaches her.
    other = login(desk.city.sun).get(reverse("web:mywork")).content.decode()
    assert "整治铁西区黑臭水体" not in other


def test_a_late_acknowledgement_is_marked(login, desk, clock):
    desk.city_task(title="逾期签收的任务")
    clock.set(date(2024, 3, 15))
    part = section(login(desk.city.wang).get(reverse("web:mywork")).content.decode(), "acknowledge")
    assert "逾期签收的任务" in part
    assert "late" in part


def test_zhao_sees_completed_work_to_review(login, desk):
    task = desk.acknowledged_city_task(title="完成老旧小区改造")
    workflow.task_request_completion(actor=desk.city.wang, task=task, version=task.version, note="已完成")
    body = login(desk.city.zhao).get(reverse("web:mywork")).content.decode()
    assert "完成老旧小区改造" in section(body, "verify")
    assert "完成老旧小区改造" not in section(body, "acknowledge")


def test_extension_requests_reach_the_decider(login, desk):
    task = desk.acknowledged_city_task(title="需要延期的任务")
    extension_requests.extension_request(
        actor=desk.city.wang,
        task=task,
        version=task.version,
        requested_due_on=date(2024, 9, 30),
        reason="施工季节受限",
    )
    part = section(login(desk.city.zhao).get(reverse("web:mywork")).content.decode(), "extensions")
    assert "需要延期的任务" in part
    assert "2024-09-30" in part
    assert "施工季节受限" in part


def test_sent_back_and_overdue_sections(login, desk, clock):
    task = desk.city_task(title="不属于本区的任务")
    workflow.task_send_back(actor=desk.city.wang, task=task, version=task.version, reason="应由铁东区办理")
    desk.acknowledged_city_task(title="已经逾期的任务", due=date(2024, 3, 20))
    clock.set(date(2024, 3, 25))
    body = login(desk.city.zhao).get(reverse("web:mywork")).content.decode()
    assert "不属于本区的任务" in section(body, "sent_back")
    overdue = section(body, "overdue")
    assert "已经逾期的任务" in overdue
    assert "working day" in overdue
    assert "overdue" in overdue


def test_empty_sections_say_so(login, city, clock):
    body = login(city.chen).get(reverse("web:mywork")).content.decode()
    assert "Nothing waits for your acknowledgement." in section(body, "acknowledge")
    assert "No report is missing." in section(body, "reports_missing")
    assert "Nothing waits for you." in body


def test_home_links_to_my_work_with_counts(login, desk):
    desk.city_task(title="首页计数任务")
    body = login(desk.city.wang).get(reverse("web:home")).content.decode()
    assert reverse("web:mywork") in body
    assert 'href="/my-work/#work-acknowledge" class="has-items"><span class="tally-count">1</span>' in body


def _load(desk, count: int, start: int = 0):
    for i in range(start, start + count):
        task = desk.city_task(title=f"待签收任务{i:03d}")
        if i % 2:
            workflow.task_acknowledge(actor=desk.city.wang, task=task, version=task.version)


def test_query_count_does_not_grow(login, desk, clock):
    client = login(desk.city.wang)
    _load(desk, 10)
    clock.set(date(2024, 7, 15))  # everything overdue and red: every section has rows
    client.get(reverse("web:mywork"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("web:mywork"))
    clock.set(date(2024, 3, 1))
    _load(desk, 50, start=100)
    clock.set(date(2024, 7, 15))
    with CaptureQueriesContext(connection) as large:
        body = client.get(reverse("web:mywork")).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert "more" in section(body, "overdue")


def test_a_missing_report_is_reported_by_its_unit_and_chased_by_others(login, desk, clock):
    desk.acknowledged_city_task(title="缺报任务", report_cadence="weekly")
    clock.set(date(2024, 3, 20))
    own = section(login(desk.city.wang).get(reverse("web:mywork")).content.decode(), "reports_missing")
    assert "缺报任务" in own
    assert ">Report<" in own
    chase = section(login(desk.city.zhao).get(reverse("web:mywork")).content.decode(), "reports_missing")
    assert "缺报任务" in chase
    assert ">Follow up<" in chase
    assert ">Report<" not in chase


def test_the_menu_leads_to_the_task_lists(login, city):
    body = login(city.wang).get(reverse("web:mywork")).content.decode()
    for name in ("web:mywork", "web:ledger", "web:directive_list"):
        assert f'href="{reverse(name)}"' in body
    assert f'<a href="{reverse("web:mywork")}" aria-current="page">My work</a>' in body
