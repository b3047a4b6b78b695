"""One contender of the concurrent-edit test, run in a process of its own (forked from the test).

Each round, every contender reads the task's version, waits at the barrier until all have read it, and
then sends its change with that version through the API: a progress report from the lead unit's handler
in even rounds, a title edit from the assigning unit's supervisor in odd rounds. It returns what it was
answered, round by round.
"""

from __future__ import annotations

import traceback
from typing import Any

from django.db import connections
from django.test import Client


def contend(
    number: int, rounds: int, task_id: int, secrets: dict[str, str], barrier: Any
) -> list[dict[str, Any]]:
    # API tokens: no session, so nothing but the contended task is written.
    handler = Client(headers={"Authorization": f"Bearer {secrets['handler']}"})
    supervisor = Client(headers={"Authorization": f"Bearer {secrets['supervisor']}"})
    answers = []
    for round_ in range(rounds):
        version = supervisor.get(f"/api/v1/tasks/{task_id}").json()["version"]
        barrier.wait(timeout=60)
        if round_ % 2 == 0:
            response = handler.post(
                f"/api/v1/tasks/{task_id}/reports",
                {
                    "version": version,
                    "narrative": f"round {round_} by {number}",
                    "progress": 10 * round_ + number,
                },
            )
        else:
            response = supervisor.patch(
                f"/api/v1/tasks/{task_id}",
                {"version": version, "title": f"round {round_} by {number}"},
                content_type="application/json",
            )
        body = response.json()
        answers.append(
            {
                "round": round_,
                "version": version,
                "status": response.status_code,
                "code": body.get("error", {}).get("code") if isinstance(body, dict) else None,
            }
        )
        # Everyone has answered before the next round reads the version again.
        barrier.wait(timeout=60)
    return answers


def run(
    sqlite_file: str | None,
    number: int,
    rounds: int,
    task_id: int,
    secrets: dict[str, str],
    barrier: Any,
    results: Any,
) -> None:
    """The process's target. Forked from the test process, it has Django set up already, but must open
    its own database connection: to the test database on PostgreSQL, to the file copy on SQLite."""
    try:
        for connection in connections.all():
            # The parent's connection object came with the fork: forget it without closing it (closing
            # would end the parent's session too); the next query opens this process's own.
            connection.connection = None
        if sqlite_file is not None:
            connections["default"].settings_dict["NAME"] = sqlite_file
        results.put(contend(number, rounds, task_id, secrets, barrier))
    except BaseException as exc:  # reported to the test rather than lost in the child's stderr
        barrier.abort()
        results.put(f"contender {number}: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
