"""Written-out statements (``luoshi.core.sql``): the rows they write and read are the ORM's own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection
from django.db.models import F
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from luoshi.core import sql
from luoshi.notifications.models import Notification
from luoshi.organizations.models import Organization, User

pytestmark = pytest.mark.django_db
only_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL compiles statements; SQLite does not"
)


def stored(obj: Notification) -> dict[str, object]:
    row = Notification.objects.get(pk=obj.pk)
    return {f.attname: getattr(row, f.attname) for f in Notification._meta.concrete_fields}


def test_insert_writes_the_row_save_writes() -> None:
    person = User.objects.create(username="sql.person")
    fields = {"recipient": person, "kind": "task.assign", "payload": {"标题": "雨污分流"}}
    by_orm = Notification.objects.create(**fields, idempotency_key="orm")
    by_sql = sql.insert(Notification(**fields, idempotency_key="sql"))

    assert by_sql.pk is not None
    assert by_sql.pk != by_orm.pk
    assert not by_sql._state.adding
    assert by_sql._state.db == "default"
    ours, theirs = stored(by_sql), stored(by_orm)
    assert by_sql.created_at == ours["created_at"]  # stamped by ``auto_now_add``, as save does
    for different in ("id", "created_at", "idempotency_key"):
        del ours[different], theirs[different]
    assert ours == theirs


def test_insert_refuses_an_unsaved_related_object_as_save_does() -> None:
    with pytest.raises(ValueError, match="unsaved related object 'recipient'"):
        sql.insert(Notification(recipient=User(username="not.saved"), kind="task.assign"))


def test_update_writes_only_the_named_fields() -> None:
    person = User.objects.create(username="sql.person")
    note = Notification.objects.create(recipient=person, kind="task.assign")
    note.attempts, note.last_error, note.kind = 3, "连接超时", "changed in memory only"

    sql.update(note, ["attempts", "last_error"])

    row = Notification.objects.get(pk=note.pk)
    assert (row.attempts, row.last_error, row.kind) == (3, "连接超时", "task.assign")


def test_update_of_a_missing_row_fails_as_save_does() -> None:
    person = User.objects.create(username="sql.person")
    note = Notification.objects.create(recipient=person, kind="task.assign")
    Notification.objects.filter(pk=note.pk).delete()

    with pytest.raises(DatabaseError, match="did not affect any rows"):
        sql.update(note, ["attempts"])


def test_an_expression_is_left_to_save() -> None:
    person = User.objects.create(username="sql.person")
    note = Notification.objects.create(recipient=person, kind="task.assign", attempts=1)
    note.attempts = F("attempts") + 1

    sql.update(note, ["attempts"])

    assert Notification.objects.get(pk=note.pk).attempts == 2


def test_model_columns_build_the_instances_the_orm_reads(city) -> None:
    Organization.objects.filter(pk=city.tiexi.pk).update(is_active=False)
    columns = sql.ModelColumns(Organization, "o")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.sql} FROM {Organization._meta.db_table} o ORDER BY o.id")  # noqa: S608
        built = [columns.build(row) for row in cursor.fetchall()]

    expected = list(Organization.objects.order_by("pk"))
    assert [model_to_dict(o) for o in built] == [model_to_dict(o) for o in expected]
    # Converted as the ORM converts them: booleans, and aware date-times (SQLite stores text).
    assert {o.is_active for o in built} == {True, False}
    assert all(isinstance(o.created_at, datetime) and o.created_at.tzinfo is not None for o in built)
    assert [o.created_at.astimezone(UTC) for o in built] == [o.created_at.astimezone(UTC) for o in expected]
    assert not built[0]._state.adding


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_database_compiles_nothing_and_a_search_then_needs_no_transaction_of_its_own() -> None:
    # The migrations turned JIT off for the database: every new session starts without it.
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
    # The session is asked once; after that, nothing is sent.
    with CaptureQueriesContext(connection) as seen, sql.without_jit():
        pass
    assert [q["sql"] for q in seen.captured_queries] == ["SHOW jit"]
    with CaptureQueriesContext(connection) as seen, sql.without_jit():
        pass
    assert seen.captured_queries == []


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_session_that_compiles_turns_it_off_in_a_transaction_of_its_own() -> None:
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")
    with CaptureQueriesContext(connection) as seen, sql.without_jit(), connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
    assert "SET LOCAL jit = off" in [q["sql"] for q in seen.captured_queries]
    # The nightly jobs' memory is set whatever the database's setting.
    with CaptureQueriesContext(connection) as seen, sql.without_jit(work_mem=sql.BIG_WORK_MEM):
        pass
    assert any("work_mem" in q["sql"] for q in seen.captured_queries)
    connection.close()


def test_read_many_reads_what_each_statement_reads_alone(city) -> None:
    units = list(Organization.objects.order_by("pk")[:3])
    statements = [
        ("SELECT name FROM organizations_organization WHERE id = %s", [units[0].pk]),
        (
            "SELECT id FROM organizations_organization WHERE id IN (%s, %s) ORDER BY id",
            [units[1].pk, units[2].pk],
        ),
        ("SELECT name FROM organizations_organization WHERE id = %s", [-1]),
    ]
    assert sql.read_many(Organization, statements) == [
        sql.read_rows(Organization, statement, params) for statement, params in statements
    ]


def test_read_objects_builds_the_instances_the_orm_reads(city) -> None:
    built = sql.read_objects(
        Organization, "WHERE t.parent_id = %s ORDER BY t.sort_order, t.path", [city.tiexi.parent_id]
    )
    expected = list(
        Organization.objects.filter(parent_id=city.tiexi.parent_id).order_by("sort_order", "path")
    )
    assert built
    assert [model_to_dict(o) for o in built] == [model_to_dict(o) for o in expected]
    assert sql.read_objects(Organization, "WHERE t.id = %s", [-1]) == []
