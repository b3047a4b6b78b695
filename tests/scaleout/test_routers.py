"""The read replica: only dashboards and exports read from it, only inside ``replica_reads()``, and
without a replica configured nothing changes at all."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.config import routers
from luoshi.config.routers import REPLICA_DB_ALIAS, ReplicaRouter, replica_reads, use_replica_reads
from luoshi.organizations.models import Organization
from tests.conftest import City

MARKER = "luoshi-replica-under-test"


def signed_in(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


# --- the decision, with a replica pretended ------------------------------------------------------


@pytest.fixture
def pretend_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routers, "replica_configured", lambda: True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pretend_replica")
def test_reads_go_to_the_replica_only_inside_the_context() -> None:
    router = ReplicaRouter()
    assert router.db_for_read(Organization) == DEFAULT_DB_ALIAS
    with replica_reads():
        assert router.db_for_read(Organization) == REPLICA_DB_ALIAS
        with replica_reads():  # nested: same scope
            assert router.db_for_read(Organization) == REPLICA_DB_ALIAS
    assert router.db_for_read(Organization) == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pretend_replica")
def test_a_write_turns_the_replica_off_for_the_rest_of_the_block() -> None:
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_write(Organization) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Organization) == DEFAULT_DB_ALIAS
    with replica_reads():
        assert router.db_for_read(Organization) == REPLICA_DB_ALIAS


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pretend_replica")
def test_reads_inside_a_transaction_stay_on_the_primary() -> None:
    router = ReplicaRouter()
    with replica_reads():
        with transaction.atomic():
            assert router.db_for_read(Organization) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Organization) == REPLICA_DB_ALIAS


def test_the_decorator_keeps_the_view_and_scopes_the_reads(pretend_replica: None) -> None:
    seen = []

    @use_replica_reads
    def view(x: int) -> int:
        """Doc."""
        seen.append(routers.reading_from_replica())
        return x * 2

    # No database access here: the atomic-block test asks the default connection's flag only.
    assert view(21) == 42
    assert view.__doc__ == "Doc."
    assert seen == [not connection.in_atomic_block]
    assert routers.reading_from_replica() is False


def test_only_the_primary_is_migrated() -> None:
    router = ReplicaRouter()
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "tasks") is True
    assert router.allow_migrate(REPLICA_DB_ALIAS, "tasks") is False


# --- without a replica (the demo, SQLite): a no-op -----------------------------------------------


def test_without_a_replica_the_context_changes_nothing(city: City) -> None:
    assert REPLICA_DB_ALIAS not in connections.settings
    with replica_reads():
        assert routers.reading_from_replica() is False
        assert ReplicaRouter().db_for_read(Organization) == DEFAULT_DB_ALIAS
    with CaptureQueriesContext(connection) as queries:
        response = signed_in(city.zhao).get(reverse("web:cockpit"))
    assert response.status_code == 200
    assert any("tasks_task" in q["sql"] for q in queries.captured_queries)


# --- PostgreSQL: a second alias to the same database, told apart by its application_name ----------


@pytest.fixture(scope="module")
def replica_alias(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """``replica`` pointing at the test database with its own application_name, as a real replica
    would be another server: which alias ran a query is then visible to PostgreSQL itself too.

    Module-scoped so that it exists before pytest-django sets up the test's databases (the test asks
    for both aliases); a test mirror of default, so that nothing is created or flushed twice."""
    if "postgresql" not in connections.settings[DEFAULT_DB_ALIAS]["ENGINE"]:
        pytest.skip("needs PostgreSQL (a second connection to the same database)")
    config = copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS])
    config.setdefault("OPTIONS", {})["application_name"] = MARKER
    config["TEST"] = {**config.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA_DB_ALIAS] = config
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            connections[REPLICA_DB_ALIAS].close()
        del connections[REPLICA_DB_ALIAS]
        del connections.settings[REPLICA_DB_ALIAS]


def _tables(queries: CaptureQueriesContext) -> str:
    return "\n".join(q["sql"] for q in queries.captured_queries)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("replica_alias")
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS])
def test_dashboard_and_export_read_from_the_replica_and_writes_stay_on_the_primary(city: City) -> None:
    client = signed_in(city.zhao)
    replica = connections[REPLICA_DB_ALIAS]
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connection) as on_primary:
        cockpit = client.get(reverse("web:cockpit"))
        export = client.get(reverse("web:ledger_export"))
    assert cockpit.status_code == 200
    assert export.status_code == 200
    # The dashboard's and the export's task queries ran on the replica, none of them on the primary.
    assert "tasks_task" in _tables(on_replica)
    assert "tasks_task" not in _tables(on_primary)
    with replica.cursor() as cursor:
        cursor.execute("SELECT current_setting('application_name')")
        assert cursor.fetchone()[0] == MARKER

    # An ordinary page and a write use the primary only.
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connection) as on_primary:
        ledger = client.get(reverse("web:ledger"))
        Organization.objects.filter(pk=city.tiexi.pk).update(short_name="铁西")
    assert ledger.status_code == 200
    assert on_replica.captured_queries == []
    assert "tasks_task" in _tables(on_primary)

    # Inside the context, a write goes to the primary and so do the reads after it.
    with replica_reads():
        with CaptureQueriesContext(replica) as on_replica:
            org = Organization.objects.get(pk=city.tiexi.pk)
        assert org.short_name == "铁西"
        assert len(on_replica.captured_queries) == 1
        with CaptureQueriesContext(replica) as on_replica:
            org.short_name = "铁西区"
            org.save(update_fields=["short_name"])
            assert Organization.objects.get(pk=city.tiexi.pk).short_name == "铁西区"
        assert on_replica.captured_queries == []
