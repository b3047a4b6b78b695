"""The history of the demo city's work, decided before anything is written.

``plan_work(today)`` turns the tables of ``luoshi.demo.workdata`` into a tree of tasks per clause and a list
of dated acts on them (create, assign, acknowledge, report, ask for completion, accept …), each by the
person whose act it is. It is a pure function of ``today`` and a random generator seeded with 2022: the
same day always gives the same history. ``luoshi.demo.work`` replays the acts through the services.

Every task is given a *fate*, the state and light it should show today, and its dates and reports are
chosen so that the services' own rules produce that light: a report 15–25 points behind the expected
progress for yellow, more than 30 for red, a deadline within three working days for blue, a last report
older than the cadence allows for "report missing", and so on (``luoshi.tasks.lights``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from random import Random

from luoshi.demo.history import Historian
from luoshi.demo.story import (
    INSPECTION_DAYS_AGO,
    MEETING_DAYS_AGO,
    SEED,
    Event,
    EvidenceSpec,
    Fate,
    Node,
    People,
    PlanError,
    chinese_date,
)
from luoshi.demo.tasktree import TreeBuilder

__all__ = [
    "INSPECTION_DAYS_AGO",
    "MEETING_DAYS_AGO",
    "Event",
    "EvidenceSpec",
    "Fate",
    "Node",
    "People",
    "PlanError",
    "WorkPlan",
    "chinese_date",
    "plan_work",
]


@dataclass
class WorkPlan:
    """The tasks to be, by clause, and every act on them in the order they happened."""

    today: date
    meeting_on: date
    inspection_on: date
    roots: list[Node]
    events: list[Event]

    def nodes(self) -> Iterator[Node]:
        for root in self.roots:
            yield from root.walk()


def plan_work(today: date) -> WorkPlan:
    """Everything the demo's work will hold on ``today``, and the history that leads there."""
    # Not for security: the same seed must give the same demo.
    rng = Random(SEED)  # noqa: S311
    people = People()
    roots = TreeBuilder(rng, people).build()
    historian = Historian(today, rng, people)
    for root in roots:
        first = historian.meeting_on if root.directive == "meeting" else historian.inspection_on
        historian.schedule(root, created=historian.ahead(first, rng.randint(2, 7)), cap=None, close_by=None)
    return WorkPlan(today, historian.meeting_on, historian.inspection_on, roots, historian.events)
