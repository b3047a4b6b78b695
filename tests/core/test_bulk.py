"""Bulk inserts (``luoshi.core.bulk``): every column written as the ORM would, keys set and never reused."""

from __future__ import annotations

import pytest
from django.db import connection

from luoshi.core import bulk
from luoshi.notifications.models import Notification
from luoshi.organizations.models import User
from luoshi.tasks.models import Tag

pytestmark = pytest.mark.django_db


def test_insert_new_sets_the_keys_and_writes_every_column() -> None:
    person = User.objects.create(username="bulk.person")
    written = [
        Notification(
            recipient=person,
            kind="task.assign",
            payload={"n": i, "title": "雨污分流"},
            idempotency_key=f"k{i}",
        )
        for i in range(3)
    ]
    seen: list[int] = []
    bulk.insert_new(written, before_write=lambda obj: seen.append(obj.pk))

    assert seen == [n.pk for n in written]
    stored = list(Notification.objects.order_by("pk"))
    assert [n.pk for n in stored] == [n.pk for n in written]
    assert [n.payload for n in stored] == [{"n": i, "title": "雨污分流"} for i in range(3)]
    assert all(n.created_at == written[0].created_at for n in stored)
    assert {n.status for n in stored} == {"pending"}
    assert not written[0]._state.adding


def test_keys_of_deleted_rows_are_never_handed_out_again() -> None:
    Tag.objects.create(name="kept")
    removed = Tag.objects.create(name="removed")
    removed_key = removed.pk
    removed.delete()

    new = [Tag(name="new one"), Tag(name="new two")]
    bulk.insert_new(new)

    assert min(t.pk for t in new) > removed_key
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["kept", "new one", "new two"]
    # The key counter moved past the bulk keys: the next ordinary insert does not collide.
    assert Tag.objects.create(name="after").pk > max(t.pk for t in new)


def test_copy_new_rows_skips_taken_keys_and_counts_what_it_wrote() -> None:
    Tag.objects.create(name="taken")

    written = bulk.copy_new_rows(Tag, ["name"], [("taken",), ("fresh",), ("fresh",), ("other",)])

    assert written == 2
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["fresh", "other", "taken"]
    assert bulk.copy_new_rows(Tag, ["name"], []) == 0


def test_sqlite_writes_many_rows_a_statement(monkeypatch) -> None:
    """On SQLite each statement that changes the search entries makes the full-text index write its
    pending terms out, so rows go many to a statement (as many as the bound parameters allow), never
    one statement a row."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writes by COPY")
    monkeypatch.setattr(bulk, "BATCH", 40)
    names = [(f"tag {n}",) for n in range(100)]
    statements: list[str] = []
    connection.ensure_connection()
    connection.connection.set_trace_callback(statements.append)
    try:
        assert bulk.copy_rows(Tag, ["name"], iter(names)) == 100
        assert bulk.copy_new_rows(Tag, ["name"], [*names[90:], ("one more",)]) == 1
    finally:
        connection.connection.set_trace_callback(None)

    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 4  # 40 + 40 + 20 rows, then the 11 rows of the second call
    assert Tag.objects.count() == 101
