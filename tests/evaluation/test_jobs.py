"""The nightly evaluation job: the month's and the quarter's tables stored from the record, so that the
rankings API and the cockpit serve a stored table."""

from __future__ import annotations

from datetime import date

from django.test import Client

from luoshi.evaluation import jobs
from luoshi.evaluation.models import Evaluation
from tests.evaluation.conftest import Quarter


def test_refresh_stores_the_month_and_the_quarter(quarter: Quarter) -> None:
    assert jobs.refresh("2024-03-29") == ["2024-03", "2024-Q1"]
    stored = {e.period_key: e for e in Evaluation.objects.all()}
    assert set(stored) == {"2024-03", "2024-Q1"}
    assert stored["2024-Q1"].as_of == date(2024, 3, 29)
    assert stored["2024-Q1"].computed_by is None  # the system
    assert stored["2024-Q1"].scores.exists()


def test_the_rankings_api_serves_the_stored_table(quarter: Quarter) -> None:
    jobs.refresh("2024-03-29")
    stored = Evaluation.objects.get(period_key="2024-Q1")
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(quarter.desk.city.zhao)
    rankings = client.get("/api/v1/rankings?period=2024-Q1").json()
    assert rankings
    # Rows of a stored table carry their score's id (a table computed live has none).
    assert {r["score_id"] for r in rankings} <= set(stored.scores.values_list("pk", flat=True))


def test_a_second_run_replaces_the_table_with_the_same_digest(quarter: Quarter) -> None:
    jobs.refresh("2024-03-29")
    first = Evaluation.objects.get(period_key="2024-Q1")
    jobs.refresh("2024-03-29")
    again = Evaluation.objects.get(period_key="2024-Q1")
    assert again.pk == first.pk
    assert again.digest == first.digest
    assert again.version == first.version + 1


def test_celery_beat_runs_it_after_the_sweep(settings) -> None:
    from luoshi.config.celery import app

    entry = app.conf.beat_schedule["evaluation-refresh"]
    assert entry["task"] == "luoshi.evaluation_refresh" in app.tasks
    assert entry["schedule"].hour == {(settings.LUOSHI_NOTIFICATIONS["sweep_hour"] + 1) % 24}
