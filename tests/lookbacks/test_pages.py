"""Look-backs on the task page, the look-backs page (relapse rates, samples) and My work."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.lookbacks import services
from luoshi.lookbacks.models import LookBack
from luoshi.tasks.models import Task
from tests.lookbacks.conftest import close
from tests.rectification.helpers import evidence_upload


@pytest.fixture
def client() -> Client:
    return Client(headers={"Accept-Language": "en"})


def as_(client: Client, user) -> Client:
    client.force_login(user)
    return client


def test_the_supervisor_schedules_and_records_on_the_task_page(client, desk, closed_task):
    city = desk.city
    zhao = as_(client, city.zhao)
    page = zhao.get(reverse("web:task_detail", args=[closed_task.pk])).content.decode()
    assert "Schedule a look-back" in page
    url = reverse("web:lookback_schedule", args=[closed_task.pk])
    bad = zhao.post(url, {"schedule-due_on": "2020-01-01"})
    assert bad.status_code == 422
    assert "The look-back date cannot be in the past." in bad.content.decode()
    assert zhao.post(url, {"schedule-due_on": "2024-03-01"}).status_code == 302
    lookback = LookBack.objects.get()

    page = zhao.get(reverse("web:task_detail", args=[closed_task.pk])).content.decode()
    assert "Record the look-back" in page
    record = reverse("web:lookback_record", args=[lookback.pk])
    prefix = f"record-{lookback.pk}"
    bad = zhao.post(
        record, {f"{prefix}-outcome": "relapsed", f"{prefix}-findings": "违建复建", f"{prefix}-version": 1}
    )
    assert bad.status_code == 422
    assert "Please give the date by which the relapse must be fixed." in bad.content.decode()
    done = zhao.post(
        record,
        {
            f"{prefix}-outcome": "relapsed",
            f"{prefix}-findings": "违建复建",
            f"{prefix}-version": 1,
            f"{prefix}-relapse_due_on": "2024-04-30",
            f"{prefix}-files": evidence_upload(),
        },
    )
    assert done.status_code == 302
    new = Task.objects.get(relapse_of=closed_task)
    page = zhao.get(reverse("web:task_detail", args=[closed_task.pk])).content.decode()
    assert reverse("web:task_detail", args=[new.pk]) in page
    # The lead unit sees the look-back but may not record or schedule.
    assert (
        "Schedule a look-back"
        not in as_(client, city.wang).get(reverse("web:task_detail", args=[closed_task.pk])).content.decode()
    )
    assert as_(client, city.wang).post(url, {"schedule-due_on": "2024-05-01"}).status_code == 403


def test_the_page_lists_waiting_look_backs_rates_and_draws_samples(client, desk, closed_task):
    city = desk.city
    zhao = as_(client, city.zhao)
    url = reverse("web:lookback_overview")
    services.lookback_schedule(actor=city.zhao, task=closed_task, due_on=date(2024, 3, 1))
    zhao.get(url)
    with CaptureQueriesContext(connection) as few:
        page = zhao.get(url).content.decode()
    assert "拆除违建" in page
    for i in range(3):
        task = close(desk, desk.acknowledged_city_task(title=f"任务{i}"))
        services.lookback_schedule(actor=city.zhao, task=task, due_on=date(2024, 3, 4))
    with CaptureQueriesContext(connection) as many:
        page = zhao.get(url).content.decode()
    assert "任务2" in page
    assert len(many) == len(few)

    bad = zhao.post(
        url,
        {
            "closed_from": "2024-03-01",
            "closed_to": "2024-01-01",
            "percent": 10,
            "due_on": "2024-04-01",
            "seed": "s",
        },
    )
    assert bad.status_code == 422
    LookBack.objects.all().delete()
    drawn = zhao.post(
        url,
        {
            "closed_from": "2024-01-01",
            "closed_to": "2024-03-01",
            "percent": 50,
            "due_on": "2024-04-01",
            "seed": "s",
        },
    )
    assert drawn.status_code == 200
    assert "2 look-backs were scheduled." in drawn.content.decode()
    assert LookBack.objects.filter(origin="sample").count() == 2
    # A handler reads the page but draws nothing.
    assert "Draw a random sample" not in as_(client, city.wang).get(url).content.decode()
    assert as_(client, city.wang).post(url, {"seed": "x"}).status_code == 403


def test_my_work_shows_look_backs_due_to_those_who_record_them(client, desk, closed_task):
    city = desk.city
    services.lookback_schedule(actor=city.zhao, task=closed_task, due_on=date(2024, 3, 4))
    page = as_(client, city.zhao).get(reverse("web:mywork")).content.decode()
    assert "Look-backs due" in page
    assert "拆除违建" in page
    assert "Look-backs due" not in as_(client, city.wang).get(reverse("web:mywork")).content.decode()
