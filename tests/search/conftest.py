"""Fixtures for search tests: a frozen date, and a few ways to put work into the city.

The helpers only call the task and directive services: those index what they write in the same
transaction, and these tests rely on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.utils import translation

from luoshi.directives import services as directives
from luoshi.directives.models import Clause, Directive, DirectiveKind, DirectiveLevel
from luoshi.organizations.models import Organization, User
from luoshi.tasks import reporting, services, workflow
from luoshi.tasks.models import ProgressReport, Task
from tests.conftest import City

TODAY = date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _english_and_today(settings):
    settings.LUOSHI_TODAY = TODAY.isoformat()
    with translation.override("en"):
        yield


@dataclass
class Work:
    """Makes tasks, reports and directives in the city the way people do, and indexes them."""

    city: City

    def task(
        self,
        title: str,
        *,
        lead: Organization | None = None,
        description: str = "",
        cooperating: tuple[Organization, ...] = (),
        clause: Clause | None = None,
        actor: User | None = None,
        assigning: Organization | None = None,
    ) -> Task:
        task = services.task_create(
            actor=actor or self.city.zhao,
            assigning_org=assigning or self.city.government,
            lead_org=lead or self.city.tiexi,
            title=title,
            description=description,
            due_on=date(2024, 6, 28),
            cooperating_orgs=cooperating,
            clause=clause,
        )
        return task

    def started(self, task: Task, by: User) -> Task:
        """Assigned by the city and acknowledged by ``by`` (of the lead unit)."""
        task = workflow.task_assign(actor=self.city.zhao, task=task, version=task.version)
        return workflow.task_acknowledge(actor=by, task=task, version=task.version)

    def report(self, task: Task, by: User, narrative: str, problems: str = "") -> ProgressReport:
        task.refresh_from_db()
        report = reporting.report_progress(
            actor=by, task=task, version=task.version, narrative=narrative, problems=problems
        )
        return report

    def directive(
        self, title: str, *, by: User, org: Organization, clauses: tuple[str, ...] = ()
    ) -> Directive:
        directive = directives.directive_create(
            actor=by,
            issuing_org=org,
            title=title,
            level=DirectiveLevel.MUNICIPAL,
            kind=DirectiveKind.MEETING,
            issued_on=date(2024, 2, 20),
        )
        for text in clauses:
            directives.clause_add(actor=by, directive=directive, text=text)
        return directive


@pytest.fixture
def work(city: City) -> Work:
    return Work(city)
