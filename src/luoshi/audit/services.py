"""Writing to the audit trail. Every service that changes state calls ``record`` inside its transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypeAlias

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from luoshi.audit.models import AuditEvent
from luoshi.core import bulk, context, sql

GENESIS_HASH = "0" * 64
# Any constant works; it names the PostgreSQL advisory lock that serializes appends to the chain.
CHAIN_LOCK_KEY = 0x4C554F534849


# Values that are already JSON as they are: text, numbers (``bool`` is an ``int``) and None, by far the
# most common, so tested first. Subclasses too: choices members are written as their text or number.
_AS_IS = (str, int)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, _AS_IS):
        return value
    if type(value) is date:  # exact: a datetime is a date too, and is written in UTC below
        return value.isoformat()
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        # Most keys are text and most values plain (a bulk writer's hundred thousand events; a new task's
        # snapshot of texts, ids and two dates): they are taken as they are, without a call each.
        return {
            k if type(k) is str else str(k): v if v is None or isinstance(v, _AS_IS) else _jsonable(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        items = [v if v is None or isinstance(v, _AS_IS) else _jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, float):
        # Floats do not round-trip identically through every database's JSON type; text does.
        return repr(value)
    return str(value)


# The fields that tell what happened, in the one canonical form that is hashed. ``id`` and ``hash`` are
# left out: the id is the database's bookkeeping, and the hash is what is being computed.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "request_id",
    "ip",
    "algorithm",
    "prev_hash",
)
# The algorithms an event may name. Both give 64 hex digits, which is what ``AuditEvent.hash`` holds.
HASH_ALGORITHMS = frozenset({"sha256", "sm3"})

EventContent: TypeAlias = AuditEvent | Mapping[str, Any]


# One encoder for every event: ``json.dumps`` with these options would build a new one per call.
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_content(event: EventContent) -> bytes:
    """The exact bytes that are hashed: every field that tells what happened, plus the previous hash.

    ``event`` is a model instance or a plain row such as ``AuditEvent.objects.values(*HASHED_FIELDS)``
    yields, so the verifier can stream millions of rows without building model instances; both give the
    same bytes.
    """
    if isinstance(event, Mapping):
        payload = {name: event[name] for name in HASHED_FIELDS}
    else:
        payload = {name: getattr(event, name) for name in HASHED_FIELDS}
    payload["occurred_at"] = payload["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds")
    return _CANONICAL_JSON.encode(payload).encode()


def compute_hash(event: EventContent) -> str:
    """The hex digest of ``canonical_content(event)`` with the algorithm the event names."""
    algorithm = event["algorithm"] if isinstance(event, Mapping) else event.algorithm
    if algorithm not in HASH_ALGORITHMS:
        raise ValueError(f"Unsupported audit hash algorithm {algorithm!r}")
    return hashlib.new(algorithm, canonical_content(event)).hexdigest()


def lock_chain(using: str = DEFAULT_DB_ALIAS) -> None:
    """Serialize appends (and the retention purge) so that two transactions never chain to the same
    previous event. Call inside a transaction; the lock is held until it ends.

    SQLite transactions here are IMMEDIATE (see settings), which already serializes writers.
    """
    if connections[using].vendor == "postgresql":
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _event(
    actor: Any,
    action: str,
    obj: models.Model | None,
    object_type: str,
    object_id: str | int,
    object_repr: str,
    changes: dict[str, Any] | None,
    ctx: context.RequestContext,
) -> AuditEvent:
    """An event not yet chained (no ``seq``, ``prev_hash`` or ``hash``)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        # Stored to the microsecond; the hash uses the same precision so it survives the round trip.
        occurred_at=timezone.now(),
        actor=actor_obj,
        actor_name=(str(actor_obj) if actor_obj else (str(actor) if isinstance(actor, str) else ""))[:150],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        changes=_jsonable(changes or {}),
        request_id=ctx.request_id,
        ip=ctx.ip,
        algorithm=settings.LUOSHI_AUDIT_HASH,
    )


def _append(event: AuditEvent) -> None:
    """Chain ``event`` after the last stored one and insert it (inside the caller's transaction).

    Every audited write ends here, so the read and the insert are written out (``core.sql.insert`` is
    ``event.save(force_insert=True)`` without building the statement through the ORM).
    """
    lock_chain()
    event.seq, event.prev_hash = _next_link()
    event.hash = compute_hash(event)
    sql.insert(event)


def _next_link() -> tuple[int, str]:
    """The sequence number and previous hash of the next event, under the chain lock (``lock_chain``).

    The lock is taken by a statement of its own, before this read: in READ COMMITTED a statement sees
    what was committed when it began, so a read in the statement that waits for the lock could miss the
    event committed while it waited, and chain to the one before. Written out, as every audited write
    reads it."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {AuditEvent._meta.db_table} ORDER BY seq DESC LIMIT 1")  # noqa: S608 -- the model's table
        last = cursor.fetchone()
    return (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call it last in a service's transaction, so the chain lock is held briefly."""
    event = _event(actor, action, obj, object_type, object_id, object_repr, changes, context.current())
    # No savepoint inside the caller's transaction: a failed append fails that whole transaction, which
    # must not commit its change without its event.
    with transaction.atomic(savepoint=False):
        _append(event)
    return event


class Target(NamedTuple):
    """What an event is about, named without loading the object (for ``record_many``)."""

    object_type: str
    object_id: str | int
    object_repr: str


# The fields of a bulk-written event that are its own (the others are the same in every event), and the
# encoding of a text as ``_CANONICAL_JSON`` writes it (no ASCII escapes).
_OWN = ("object_id", "object_repr", "object_type", "prev_hash", "seq")
_json_text = json.encoder.encode_basestring


def record_many(
    *, actor: Any, action: str, items: Iterable[tuple[models.Model | Target, dict[str, Any]]]
) -> int:
    """Append one event per ``(object, changes)`` pair, chained in order, with one lock and one bulk
    write: for services that write many objects at once (an Excel import, the sweep's urgings).

    The events are the ones ``record`` would write, one by one, at the same instant. They are built as
    plain rows rather than model instances and written with ``COPY`` on PostgreSQL (``bulk_create`` there
    sends arrays that psycopg quotes element by element in Python) and ``executemany`` on SQLite: hashing
    and serialising are then most of the cost.
    """
    pending = list(items)
    if not pending:
        return 0
    ctx = context.current()
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    actor_name = (str(actor_obj) if actor_obj else (str(actor) if isinstance(actor, str) else ""))[:150]
    algorithm = settings.LUOSHI_AUDIT_HASH
    if algorithm not in HASH_ALGORITHMS:
        raise ValueError(f"Unsupported audit hash algorithm {algorithm!r}")
    occurred_at = timezone.now()
    stamp = occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    common = {
        "occurred_at": stamp,
        "actor_id": actor_obj.pk if actor_obj else None,
        "actor_name": actor_name,
        "action": action,
        "request_id": ctx.request_id,
        "ip": ctx.ip,
        "algorithm": algorithm,
    }
    # ``canonical_content`` sorts the keys, so an event's bytes are the fields before "changes" (the same
    # in every event: encoded once), its changes (encoded once, for the hash and for their column), and
    # the fields after them: those common to every event encoded once, the event's own ones (``_OWN``)
    # encoded as ``_CANONICAL_JSON`` encodes them and put in their places by one ``str.format``.
    before = _CANONICAL_JSON.encode({k: v for k, v in common.items() if k < "changes"})
    after = {k: v for k, v in common.items() if k > "changes"}
    pieces = []
    for key in sorted({*after, *_OWN}):
        value = (
            f"{{{key}}}"
            if key in _OWN
            else _CANONICAL_JSON.encode(after[key]).replace("{", "{{").replace("}", "}}")
        )
        pieces.append(f"{_json_text(key)}:{value}")
    head = before[:-1].replace("{", "{{").replace("}", "}}")
    template = f'{head},"changes":{{changes}},{",".join(pieces)}}}}}'
    with transaction.atomic():
        lock_chain()
        seq, prev_hash = _next_link()
        rows: list[tuple[Any, ...]] = []
        for obj, changes in pending:
            if isinstance(obj, Target):
                object_type, object_id, object_repr = obj.object_type, str(obj.object_id), obj.object_repr
            else:
                object_type, object_id, object_repr = obj._meta.label_lower, str(obj.pk), str(obj)
            object_repr = object_repr[:200]
            changes_json = _CANONICAL_JSON.encode(_jsonable(changes or {}))
            content = template.format(
                changes=changes_json,
                seq=seq,
                object_type=_json_text(object_type),
                object_id=_json_text(object_id),
                object_repr=_json_text(object_repr),
                prev_hash=_json_text(prev_hash),
            )
            digest = hashlib.new(algorithm, content.encode()).hexdigest()
            rows.append(
                (
                    seq,
                    common["actor_id"],
                    actor_name,
                    action,
                    object_type,
                    object_id,
                    object_repr,
                    changes_json,
                    ctx.request_id,
                    ctx.ip,
                    algorithm,
                    prev_hash,
                    digest,
                )
            )
            seq, prev_hash = seq + 1, digest
        _write_rows(rows, occurred_at)
    return len(rows)


# The columns ``record_many`` writes, in the order of its rows: the hashed fields, then the hash, with
# ``occurred_at`` (the same for all) last.
_ROW_COLUMNS = (*(f for f in HASHED_FIELDS if f != "occurred_at"), "hash", "occurred_at")


def _write_rows(rows: list[tuple[Any, ...]], occurred_at: datetime) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(_ROW_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, occurred_at))
        else:
            stamp = connection.ops.adapt_datetimefield_value(occurred_at)
            # Many rows per statement (``core.bulk.insert_values``), not one statement per row.
            bulk.insert_values(
                cursor,
                f"INSERT INTO {table} ({columns})",
                len(_ROW_COLUMNS),
                ((*row, stamp) for row in rows),
            )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that changed, as ``{"field": [old, new]}``."""
    return {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}
