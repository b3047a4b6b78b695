"""Schemathesis against the API's own OpenAPI document, as signed-in people, in-process.

Every operation of ``/api/openapi.json`` is called with data generated from its schema, valid
(``positive``) and invalid (``negative``), with a bearer token, against a small world of real objects
so that generated requests also reach the services, not only the "not found" answer. Each answer must
not be a server error and must agree with the document: a documented status code, a documented content
type and a body that matches its schema; invalid input must be refused with a 4xx.

Generation is derandomized (the same cases on every run, no example database) and small per operation,
so the whole walk takes well under a minute per database. Each request runs in a savepoint that is
rolled back, so cases do not depend on the ones before them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from luoshi.api import services as tokens
from luoshi.api.urls import api
from luoshi.demo import city as demo_city
from luoshi.directives import services as directives
from luoshi.directives.models import DirectiveKind, DirectiveLevel
from luoshi.indicators import services as indicators
from luoshi.notifications.models import Notification
from luoshi.supervision import services as supervision
from luoshi.tasks import requests, services, workflow
from luoshi.tasks.reporting import report_progress

# The document as ``/api/openapi.json`` serves it (test_fuzz_reads checks that they are the same).
DOCUMENT = api.get_openapi_schema(path_prefix="/api/")
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)

# Cases per operation and strategy (valid or invalid; random or real ids). Small on purpose: CI runs the
# walk twice (SQLite and PostgreSQL) on two cores, and the cases are the same on every run.
MAX_EXAMPLES = 6

# Operations fuzzed as the administrator (they manage units and people); the rest as the city's supervisor,
# who may see and do the most in the task loop.
ADMIN_TAGS = {"organizations", "people", "auth"}


def operations(predicate: Callable[[Any], bool]) -> list[Any]:
    """The operations of the document that ``predicate`` selects, as pytest parameters named by label."""
    found = [result.ok() for result in SCHEMA.get_all_operations()]
    return [pytest.param(op, id=op.label) for op in found if predicate(op)]


@dataclass
class World:
    """Real objects whose ids are offered to the generated requests, and the callers' tokens."""

    path_ids: dict[str, int | str]
    tokens: dict[str, str]


def build_world() -> World:
    """The demo city's units and people, plus one of each thing an operation's path can name."""
    built = demo_city.build_city()
    people = built.people
    units = built.units
    zhao, wang, admin = people["zhaomin"], people["wangfang"], people["admin"]
    today = timezone.localdate()
    due = today + timedelta(days=90)

    directive = directives.directive_create(
        actor=zhao,
        issuing_org=built.government,
        title="市政府常务会议纪要",
        level=DirectiveLevel.MUNICIPAL,
        kind=DirectiveKind.MEETING,
        issued_on=today - timedelta(days=7),
        doc_number="鞍政办发[2024]3号",
    )
    clause = directives.clause_add(
        actor=zhao, directive=directive, text="加快推进城市更新，完成老旧小区改造。"
    )
    task = services.task_create(
        actor=zhao,
        assigning_org=built.government,
        lead_org=units["tiexi"],
        title="推进老旧小区改造",
        due_on=due,
        clause=clause,
    )
    task = workflow.task_assign(actor=zhao, task=task, version=task.version)
    task = workflow.task_acknowledge(actor=wang, task=task, version=task.version)
    report = report_progress(
        actor=wang, task=task, version=task.version, narrative="完成摸底调查。", progress=20
    )
    task.refresh_from_db()
    extension = requests.extension_request(
        actor=wang,
        task=task,
        version=task.version,
        requested_due_on=due + timedelta(days=30),
        reason="施工期受汛期影响。",
    )
    urging = supervision.urging_issue(actor=zhao, task=task, level="reminder", reason="请按期报送进展。")
    indicator = indicators.indicator_create(
        actor=zhao,
        owner_org=units["tiexi"],
        code="renovated_estates",
        name="老旧小区改造完成数",
        unit_of_measure="个",
        direction="higher",
    )
    notification = Notification.objects.filter(recipient=zhao).order_by("pk").first()
    path_ids: dict[str, int | str] = {
        "org_id": units["tiexi"].pk,
        "person_id": wang.pk,
        "directive_id": directive.pk,
        "clause_id": clause.pk,
        "task_id": task.pk,
        "report_id": report.pk,
        "request_id": extension.pk,
        "urging_id": urging.pk,
        "indicator_id": indicator.pk,
    }
    if notification is not None:
        path_ids["notification_id"] = notification.pk
    return World(
        path_ids=path_ids,
        tokens={
            "admin": tokens.token_create(user=admin, name="fuzz")[1],
            "supervisor": tokens.token_create(user=zhao, name="fuzz")[1],
        },
    )


@contextmanager
def world_scope(django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    """Build the world once for a test module, in a transaction rolled back when the module is done."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@contextmanager
def in_process_app() -> Iterator[WSGIHandler]:
    """Django's WSGI handler, keeping the test's database connection open between requests.

    A real server closes the connection after each request (``close_old_connections``); here that would
    end the test's transaction. Django's own test client disconnects the same two receivers.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def cases(operation: Any, world: World) -> st.SearchStrategy[Any]:
    """Valid and invalid cases for ``operation``; where its path names objects, also with real ids."""
    known = {p.name: world.path_ids[p.name] for p in operation.path_parameters if p.name in world.path_ids}
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if known:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=known))
    return st.one_of(strategies)


def fuzz(operation: Any, world: World) -> None:
    """Call ``operation`` with every generated case and validate each answer against the document."""
    persona = "admin" if ADMIN_TAGS & set(operation.tags or ()) else "supervisor"
    headers = {"Authorization": f"Bearer {world.tokens[persona]}"}

    # Rate limits off: their counts live in the shared cache and would refuse the tests that run after
    # this one on the same worker. The limits have their own tests; their 429 is still documented.
    with in_process_app() as app, override_settings(LUOSHI_RATE_LIMITS_ENABLED=False):

        @settings(
            max_examples=MAX_EXAMPLES * (4 if operation.path_parameters else 2),
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases(operation, world))
        def run(case: Any) -> None:
            with transaction.atomic():
                case.call_and_validate(app=app, headers=headers, excluded_checks=EXCLUDED_CHECKS)
                transaction.set_rollback(True)

        run()


EXCLUDED_CHECKS: list[Any] = [
    # Re-sends each request without its token and expects a refusal; the anonymous walk in
    # test_anonymous.py covers that for every operation already, at a fraction of the cost.
    openapi_checks.ignored_auth,
    # Expects every schema-valid request to succeed. The services enforce rules that no JSON schema can
    # state (dates in order and not in the future, a period that has begun, a unit the directive has
    # reached, an answer date for some urging levels, a file's type recognised by its content, the
    # state a task must be in) and refuse with 422 or 409 in the documented error shape, which the
    # checks that remain verify. Rules a schema can state are in the schemas (luoshi.api.fields).
    openapi_checks.positive_data_acceptance,
]
