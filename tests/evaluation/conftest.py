"""Evaluation fixtures: the task desk (a frozen clock, a city directive, the verifying heads) and a small
record of work in the first quarter of 2024 that every scoring test reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from luoshi.tasks import reporting, workflow
from luoshi.tasks.models import CompletionRequest, Task
from tests.tasks.conftest import Clock, Desk, _english, clock, desk  # noqa: F401 (fixtures)


@dataclass
class Quarter:
    desk: Desk
    clock: Clock
    on_time: Task  # 铁西区: reported, accepted before its deadline
    overdue: Task  # 铁东区: no report, still open after its deadline


def build_quarter(desk: Desk, clock: Clock) -> Quarter:  # noqa: F811 (the fixtures, passed on)
    city = desk.city
    clock.set(date(2024, 1, 8))
    a = desk.city_task(title="老旧小区改造", due=date(2024, 2, 20))
    a = workflow.task_acknowledge(actor=city.wang, task=a, version=a.version)
    b = desk.city_task(title="背街小巷整治", due=date(2024, 2, 20), lead=city.tiedong)
    b = workflow.task_acknowledge(actor=city.sun, task=b, version=b.version)
    clock.set(date(2024, 2, 1))
    a.refresh_from_db()
    reporting.report_progress(
        actor=city.wang,
        task=a,
        version=a.version,
        narrative="完成改造方案编制和招标工作，三个小区已进场施工，完成投资1200万元。",
        progress=60,
    )
    clock.set(date(2024, 2, 10))
    a.refresh_from_db()
    workflow.task_request_completion(actor=city.wang, task=a, version=a.version)
    clock.set(date(2024, 2, 15))
    a.refresh_from_db()
    workflow.task_accept(actor=city.zhao, task=a, version=a.version)
    # Decisions are stamped with the wall clock; the record of this quarter is dated by the test clock.
    CompletionRequest.objects.filter(task=a).update(
        decided_at=datetime(2024, 2, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    clock.set(date(2024, 3, 1))
    a.refresh_from_db()
    b.refresh_from_db()
    return Quarter(desk=desk, clock=clock, on_time=a, overdue=b)


@pytest.fixture
def quarter(desk: Desk, clock: Clock) -> Quarter:  # noqa: F811 (the fixtures, passed on)
    return build_quarter(desk, clock)
