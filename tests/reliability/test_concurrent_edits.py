"""Concurrent edits of one task from several processes, each with the version it read.

Every round, all contenders send their change with the same version at once: exactly one is accepted,
the others get 409 and change nothing. In the end the task's version counts the accepted changes, its
state is the last winner's, and the audit trail holds one event per accepted change and still verifies.
"""

from __future__ import annotations

import multiprocessing
from datetime import date
from typing import Any

import pytest
from django.db import connections

from luoshi.api import services as tokens
from luoshi.tasks import services, workflow
from tests.conftest import City
from tests.reliability.conftest import SharedDatabase
from tests.reliability.contend import run

pytestmark = pytest.mark.django_db(transaction=True)

CONTENDERS = 4
ROUNDS = 4


def test_exactly_one_edit_wins_per_version(city: City, shared_database: SharedDatabase) -> None:
    created = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="老旧小区改造",
        due_on=date(2030, 6, 28),
    )
    assigned = workflow.task_assign(actor=city.zhao, task=created, version=created.version)
    task = workflow.task_acknowledge(actor=city.wang, task=assigned, version=assigned.version)
    start_version = task.version
    _token, handler_secret = tokens.token_create(user=city.wang, name="contender")
    _token, supervisor_secret = tokens.token_create(user=city.zhao, name="contender")
    shared_database.publish()
    audit_before = _audit_events(shared_database, task.pk)

    # Forked after Django is set up, so that the contenders start at once; every connection is closed
    # first, so that no child shares one with this process.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(CONTENDERS)
    results: Any = context.Queue()
    secrets = {"handler": handler_secret, "supervisor": supervisor_secret}
    sqlite_file = str(shared_database.sqlite_file) if shared_database.sqlite_file else None
    processes = [
        context.Process(target=run, args=(sqlite_file, number, ROUNDS, task.pk, secrets, barrier, results))
        for number in range(CONTENDERS)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0

    failures = [a for a in answers if isinstance(a, str)]
    assert not failures, failures[0]
    by_round: dict[int, list[dict[str, Any]]] = {}
    for contender in answers:
        for answer in contender:
            by_round.setdefault(answer["round"], []).append(answer)
    for round_, round_answers in sorted(by_round.items()):
        assert len({a["version"] for a in round_answers}) == 1, f"round {round_} read different versions"
        statuses = sorted(a["status"] for a in round_answers)
        assert statuses == sorted([200 if round_ % 2 else 201] + [409] * (CONTENDERS - 1)), (round_, statuses)
        assert {a["code"] for a in round_answers if a["status"] == 409} == {"conflict"}

    [(version, title, progress)] = shared_database.rows(
        "SELECT version, title, reported_progress FROM tasks_task WHERE id = %s", (task.pk,)
    )
    assert version == start_version + ROUNDS
    last_title_round = max(r for r in range(ROUNDS) if r % 2)
    last_report_round = max(r for r in range(ROUNDS) if r % 2 == 0)
    assert title.startswith(f"round {last_title_round} by ")
    assert progress // 10 == last_report_round
    [(reports,)] = shared_database.rows(
        "SELECT COUNT(*) FROM tasks_progressreport WHERE task_id = %s", (task.pk,)
    )
    assert reports == len([r for r in range(ROUNDS) if r % 2 == 0])
    assert _audit_events(shared_database, task.pk) - audit_before == ROUNDS

    verified = shared_database.luoshi("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _audit_events(shared_database: SharedDatabase, task_id: int) -> int:
    [(count,)] = shared_database.rows(
        "SELECT COUNT(*) FROM audit_auditevent WHERE object_type = %s AND object_id = %s "
        "AND action IN ('task.report', 'task.update')",
        ("tasks.task", str(task_id)),
    )
    return int(count)
