"""The hash chain: events written by real services verify, and every kind of tampering is named."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import transaction
from django.utils import timezone

from luoshi.audit import services as audit
from luoshi.audit.models import AuditEvent
from luoshi.audit.services import GENESIS_HASH, HASHED_FIELDS, canonical_content, compute_hash
from luoshi.audit.verify import CHUNK_SIZE, verify_chain
from luoshi.organizations import services as orgs
from luoshi.organizations.models import OrganizationKind, Role


@pytest.fixture(params=["sha256", "sm3"])
def hashed_city(request, settings):
    """The city, its audit trail hashed with each supported algorithm."""
    settings.LUOSHI_AUDIT_HASH = request.param
    return request.getfixturevalue("city")


def event(seq: int) -> AuditEvent:
    return AuditEvent.objects.get(seq=seq)


def json_param(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_trail_written_by_services_verifies(hashed_city, settings):
    events = list(AuditEvent.objects.order_by("seq"))
    assert events, "the city fixture writes through audited services"
    assert {e.algorithm for e in events} == {settings.LUOSHI_AUDIT_HASH}
    first = events[0]
    assert first.prev_hash == GENESIS_HASH
    assert first.hash == hashlib.new(settings.LUOSHI_AUDIT_HASH, canonical_content(first)).hexdigest()

    result = verify_chain()

    assert result.ok, result.message
    assert (result.count, result.head_seq, result.head_hash) == (len(events), events[-1].seq, events[-1].hash)
    assert result.algorithm == settings.LUOSHI_AUDIT_HASH
    assert result.first_broken is None


def test_events_are_timezone_aware_and_carry_the_request_context(city):
    from luoshi.core import context

    token = context.set_current(context.RequestContext(request_id="req-42", ip="10.1.2.3"))
    try:
        recorded = audit.record(actor=city.zhao, action="test.touch", obj=city.tiexi, changes={"x": [1, 2]})
    finally:
        context.reset(token)

    stored = event(recorded.seq)
    assert timezone.is_aware(stored.occurred_at)
    assert (stored.request_id, stored.ip) == ("req-42", "10.1.2.3")
    assert (stored.actor_id, stored.actor_name) == (city.zhao.pk, str(city.zhao))
    assert (stored.object_type, stored.object_id) == ("organizations.organization", str(city.tiexi.pk))
    assert verify_chain().ok


def test_a_row_hashes_the_same_as_its_model_instance(city):
    stored = AuditEvent.objects.order_by("-seq").first()
    row = AuditEvent.objects.values(*HASHED_FIELDS).get(pk=stored.pk)

    assert canonical_content(row) == canonical_content(stored)
    assert compute_hash(row) == compute_hash(stored) == stored.hash


def test_switching_the_algorithm_midway_keeps_the_chain_valid(city, settings):
    settings.LUOSHI_AUDIT_HASH = "sm3" if settings.LUOSHI_AUDIT_HASH == "sha256" else "sha256"
    orgs.organization_update(actor=city.admin, org=city.tiexi, version=None, name="铁西区政府")

    assert AuditEvent.objects.values("algorithm").distinct().count() == 2
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("changes", json_param({"after": {"name": "伪造的单位"}})),
        ("actor_name", "某个别人"),
        ("object_id", "999"),
        ("ip", "203.0.113.9"),
    ],
)
def test_editing_one_row_in_sql_names_that_row(hashed_city, tamper, column, value):
    victim = event(5)

    tamper(f"UPDATE audit_auditevent SET {column} = %s WHERE seq = %s", [value, 5])  # noqa: S608
    result = verify_chain()

    assert not result.ok
    assert result.first_broken is not None
    assert result.first_broken.seq == 5
    assert result.first_broken.id == victim.pk
    assert "#5" in result.message
    assert "altered" in result.first_broken.reason
    # The events before the broken one are reported as the intact part.
    assert (result.count, result.head_seq) == (4, 4)


def test_rehashing_an_edited_row_breaks_the_link_to_the_next(city, tamper):
    row = AuditEvent.objects.values(*HASHED_FIELDS).get(seq=5)
    row["actor_name"] = "某个别人"
    forged_hash = compute_hash(row)

    tamper(
        "UPDATE audit_auditevent SET actor_name = %s, hash = %s WHERE seq = %s",
        [row["actor_name"], forged_hash, 5],
    )
    result = verify_chain()

    assert result.first_broken is not None
    assert result.first_broken.seq == 6
    assert "#5" in result.first_broken.reason


def test_deleting_a_middle_row_is_caught(city, tamper):
    following = event(8)

    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [7])
    result = verify_chain()

    assert not result.ok
    assert result.first_broken is not None
    assert (result.first_broken.seq, result.first_broken.id) == (8, following.pk)
    assert "#7" in result.first_broken.reason
    assert "missing" in result.first_broken.reason


def test_deleting_the_first_rows_is_caught(city, tamper):
    tamper("DELETE FROM audit_auditevent WHERE seq <= %s", [2])
    result = verify_chain()

    assert result.first_broken is not None
    assert result.first_broken.seq == 3
    assert "#1 to #2" in result.first_broken.reason


def test_renumbering_to_hide_a_deletion_is_caught(city, tamper):
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [4])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [4, 5])
    result = verify_chain()

    # Event #5 now sits at #4: the seq is part of what was hashed, and it links to the wrong event.
    assert result.first_broken is not None
    assert result.first_broken.seq == 4


def test_rolled_back_records_leave_no_gap(city):
    def create_then_fail() -> None:
        with transaction.atomic():
            orgs.organization_create(
                actor=city.admin, parent=city.tiexi, name="临时单位", kind=OrganizationKind.COMMUNITY
            )
            raise RuntimeError("the calling service fails after recording")

    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        create_then_fail()
    orgs.organization_create(
        actor=city.admin, parent=city.tiexi, name="新社区", kind=OrganizationKind.COMMUNITY
    )

    assert AuditEvent.objects.count() == before + 1
    assert verify_chain().ok


def test_records_from_different_services_keep_seq_contiguous(city):
    street = orgs.organization_create(
        actor=city.tiexi_admin, parent=city.tiexi, name="铁西区新华街道", kind=OrganizationKind.TOWNSHIP
    )
    person = orgs.person_create(
        actor=city.tiexi_admin,
        username="zhoujie",
        display_name="周杰",
        password="Luoshi-test-2026",
        memberships=[(street, Role.HANDLER, "")],
    )
    orgs.organization_update(actor=city.admin, org=street, version=None, short_name="新华街道")
    orgs.organization_move(actor=city.admin, org=street, new_parent=city.tiedong)
    orgs.person_update(actor=person, person=person, version=None, display_name="周杰伦")
    audit.record(actor="importer", action="test.note", object_type="batch", object_id="1")

    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))
    assert all(prev == rows[i - 1][2] for i, (_, prev, _) in enumerate(rows) if i > 0)
    assert verify_chain().ok


def _synthetic_chain(n: int, *, algorithm: str = "sha256") -> None:
    """``n`` valid events in one bulk insert, without going through services (fast, for long chains)."""
    prev_hash = GENESIS_HASH
    now = timezone.now()
    events = []
    for seq in range(1, n + 1):
        e = AuditEvent(
            seq=seq,
            occurred_at=now,
            actor_name="bulk",
            action="test.bulk",
            object_type="test.thing",
            object_id=str(seq),
            changes={"n": seq},
            algorithm=algorithm,
            prev_hash=prev_hash,
        )
        e.hash = compute_hash(e)
        prev_hash = e.hash
        events.append(e)
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def test_long_chain_is_walked_across_chunks_and_names_a_late_break(db, tamper):
    n = CHUNK_SIZE * 2 + 321
    _synthetic_chain(n)
    assert verify_chain().count == n

    broken_seq = CHUNK_SIZE * 2 + 7
    tamper("UPDATE audit_auditevent SET changes = %s WHERE seq = %s", [json_param({"n": 0}), broken_seq])
    result = verify_chain()

    assert result.first_broken is not None
    assert result.first_broken.seq == broken_seq
    assert result.first_broken.object_label == f"test.thing:{broken_seq}"


def test_an_unknown_algorithm_is_a_break(city, tamper):
    tamper("UPDATE audit_auditevent SET algorithm = %s WHERE seq = %s", ["md5", 3])

    result = verify_chain()

    assert result.first_broken is not None
    assert result.first_broken.seq == 3
    assert "md5" in result.first_broken.reason


def test_empty_trail_verifies(db):
    result = verify_chain()

    assert result.ok
    assert (result.count, result.head_seq, result.head_hash) == (0, 0, GENESIS_HASH)


def test_verify_reads_the_trail_in_one_query(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert verify_chain().ok


def test_events_written_in_bulk_hash_as_one_by_one(city):
    """``record_many`` assembles each event's canonical bytes from pieces encoded once; they must be the
    bytes ``canonical_content`` gives, whatever the texts hold (quotes, braces, backslashes, Chinese)."""
    from luoshi.core import context

    tricky = ['引号"与{花括号}', "back\\slash {0} %s", "换行\n与制表\t", "}{", ""]
    token = context.set_current(context.RequestContext(request_id='req-{"x"}', ip="10.1.2.3"))
    try:
        written = audit.record_many(
            actor=city.zhao,
            action="test.bulk",
            items=[
                (audit.Target("test.thing", f"id-{text}", f"名称 {text}"), {"note": text, "n": n})
                for n, text in enumerate(tricky)
            ],
        )
    finally:
        context.reset(token)
    assert written == len(tricky)
    for stored in AuditEvent.objects.filter(action="test.bulk").order_by("seq"):
        assert stored.hash == compute_hash(stored)
        assert stored.request_id == 'req-{"x"}'
    assert [
        e.changes["note"] for e in AuditEvent.objects.filter(action="test.bulk").order_by("seq")
    ] == tricky
    assert verify_chain().ok


def test_changes_are_stored_as_json_values():
    """Dates as ISO dates, date-times in UTC, choices members as their value, sets sorted, nested too."""
    from datetime import UTC, date, datetime, timedelta
    from datetime import timezone as tz
    from decimal import Decimal

    from luoshi.tasks.models import Priority, ReportCadence

    moment = datetime(2024, 3, 1, 9, 30, tzinfo=tz(timedelta(hours=8)))
    changes = {
        "after": {"title": "任务", "due_on": date(2024, 6, 28), "report_cadence": ReportCadence.WEEKLY},
        "priority": Priority.NORMAL,
        "at": moment,
        "flag": True,
        "none": None,
        "ratio": 0.5,
        "amount": Decimal("1.50"),
        "units": {3, 1, 2},
        "ids": (1, date(2024, 1, 2)),
        7: "seven",
    }
    assert audit._jsonable(changes) == {
        "after": {"title": "任务", "due_on": "2024-06-28", "report_cadence": "weekly"},
        "priority": int(Priority.NORMAL),
        "at": moment.astimezone(UTC).isoformat(),
        "flag": True,
        "none": None,
        "ratio": "0.5",
        "amount": "1.50",
        "units": [1, 2, 3],
        "ids": [1, "2024-01-02"],
        "7": "seven",
    }
    assert audit._CANONICAL_JSON.encode(audit._jsonable({"c": ReportCadence.WEEKLY})) == '{"c":"weekly"}'
