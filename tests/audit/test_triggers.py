"""The database refuses to change or remove audit events, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from luoshi.audit import services as audit
from luoshi.audit import triggers
from luoshi.audit.models import AuditEvent
from luoshi.audit.verify import verify_chain

# Raised by the triggers: IntegrityError on both databases (SQLite's RAISE(ABORT) is a constraint
# failure; the PostgreSQL function raises SQLSTATE 23001, restrict_violation).
REFUSED = IntegrityError


def _some_events(n: int = 3) -> None:
    for i in range(n):
        audit.record(actor="test", action="test.touch", object_type="test.thing", object_id=str(i))


def test_triggers_are_installed(db):
    assert triggers.missing_triggers() == set()


def test_orm_update_is_refused(db):
    _some_events()

    with pytest.raises(REFUSED, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(actor_name="someone else")

    assert AuditEvent.objects.get(seq=2).actor_name == "test"
    assert verify_chain().ok


def test_model_save_is_refused(db):
    _some_events()
    stored = AuditEvent.objects.get(seq=1)
    stored.action = "test.rewritten"

    with pytest.raises(REFUSED), transaction.atomic():
        stored.save()

    assert AuditEvent.objects.get(seq=1).action == "test.touch"


@pytest.mark.parametrize("how", ["queryset", "instance"])
def test_orm_delete_is_refused(db, how):
    _some_events()

    target = AuditEvent.objects.filter(seq__gte=2) if how == "queryset" else AuditEvent.objects.get(seq=3)

    with pytest.raises(REFUSED, match="append-only"), transaction.atomic():
        target.delete()

    assert AuditEvent.objects.count() == 3


def test_raw_sql_is_refused(db):
    _some_events()

    for sql in ("UPDATE audit_auditevent SET ip = '1.2.3.4'", "DELETE FROM audit_auditevent"):
        with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)

    assert verify_chain().count == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_truncate_is_refused_on_postgresql(db):
    _some_events()

    with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")

    assert AuditEvent.objects.count() == 3


def test_inserting_is_still_allowed(db):
    _some_events(5)

    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3, 4, 5]


def test_allow_wipe_lifts_deletion_only_and_only_inside(db):
    _some_events()

    with triggers.allow_wipe():
        with pytest.raises(REFUSED), transaction.atomic():
            AuditEvent.objects.update(actor_name="still refused")
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 0

    _some_events(1)
    with pytest.raises(REFUSED), transaction.atomic():
        AuditEvent.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_trail():
    # Transactional tests are torn down by ``flush`` too, so this test's own teardown exercises it again.
    _some_events()

    call_command("flush", interactive=False, verbosity=0)

    assert AuditEvent.objects.count() == 0
    _some_events(1)
    with pytest.raises(REFUSED), transaction.atomic():
        AuditEvent.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_reverse_migration_drops_the_triggers():
    call_command("migrate", "audit", "0002", verbosity=0)
    try:
        assert triggers.installed_triggers() == set()
        _some_events(1)
        AuditEvent.objects.update(actor_name="unprotected")
    finally:
        call_command("migrate", "audit", verbosity=0)
    assert triggers.missing_triggers() == set()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_concurrent_writers_keep_seq_contiguous():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def write(worker: int) -> None:
        try:
            for i in range(15):
                with transaction.atomic():
                    audit.record(
                        actor=f"worker {worker}", action="test.race", object_type="t", object_id=str(i)
                    )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(4)))

    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 61))
    assert verify_chain().ok
