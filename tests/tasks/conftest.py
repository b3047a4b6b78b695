"""Fixtures for task tests: a frozen date, the unit heads who verify, and a directive to work from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.utils import translation

from luoshi.directives import services as directives
from luoshi.directives.models import Clause, Directive, DirectiveKind, DirectiveLevel
from luoshi.organizations.models import Role, User
from luoshi.tasks import services, workflow
from luoshi.tasks.models import Task
from tests.conftest import City, make_person

# A Friday with no holiday nearby; every test runs as if it were this day unless it moves the clock.
TODAY = date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English source; the deployment default is zh-Hans."""
    with translation.override("en"):
        yield


class Clock:
    """Moves ``LUOSHI_TODAY`` (the date services and lights judge by) through pytest-django's settings."""

    def __init__(self, settings) -> None:
        self._settings = settings
        self.set(TODAY)

    def set(self, day: date) -> None:
        self._settings.LUOSHI_TODAY = day.isoformat()

    @property
    def today(self) -> date:
        return date.fromisoformat(self._settings.LUOSHI_TODAY)


@pytest.fixture
def clock(settings) -> Clock:
    return Clock(settings)


@dataclass
class Desk:
    """The city plus the people who verify work, and a city directive with one clause."""

    city: City
    tiexi_head: User  # head of 铁西区: verifies what 铁西区 assigned to its street
    street_head: User  # head of the street under 铁西区
    directive: Directive
    clause: Clause

    def city_task(self, *, due: date = date(2024, 6, 28), lead=None, **kwargs) -> Task:
        """A task from the clause, assigned by the city to 铁西区 (or ``lead``) and acknowledged."""
        task = services.task_create(
            actor=self.city.zhao,
            assigning_org=self.city.government,
            lead_org=lead or self.city.tiexi,
            title=kwargs.pop("title", "推进老旧小区改造"),
            due_on=due,
            clause=self.clause,
            **kwargs,
        )
        return workflow.task_assign(actor=self.city.zhao, task=task, version=task.version)

    def acknowledged_city_task(self, **kwargs) -> Task:
        task = self.city_task(**kwargs)
        return workflow.task_acknowledge(actor=self.city.wang, task=task, version=task.version)

    def street_task(self, parent: Task, *, due: date | None = None, **kwargs) -> Task:
        """A subtask of ``parent`` (led by 铁西区) for the street, assigned and acknowledged by Chen."""
        parent.refresh_from_db()
        sub = services.task_decompose(
            actor=self.city.wang,
            parent=parent,
            version=parent.version,
            lead_org=self.city.tiexi_street,
            title=kwargs.pop("title", "兴盛街道改造"),
            due_on=due or parent.due_on,
            **kwargs,
        )
        sub = workflow.task_assign(actor=self.city.wang, task=sub, version=sub.version)
        return workflow.task_acknowledge(actor=self.city.chen, task=sub, version=sub.version)


@pytest.fixture
def desk(city: City, clock: Clock) -> Desk:
    directive = directives.directive_create(
        actor=city.zhao,
        issuing_org=city.government,
        title="市政府常务会议纪要",
        level=DirectiveLevel.MUNICIPAL,
        kind=DirectiveKind.MEETING,
        issued_on=date(2024, 2, 20),
        doc_number="鞍政办发[2024]3号",
    )
    clause = directives.clause_add(
        actor=city.zhao, directive=directive, text="加快推进城市更新，完成老旧小区改造。"
    )
    return Desk(
        city=city,
        tiexi_head=make_person("tiexihead", "刘洋", city.tiexi, Role.HEAD),
        street_head=make_person("streethead", "周静", city.tiexi_street, Role.HEAD),
        directive=directive,
        clause=clause,
    )


def fresh(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)
