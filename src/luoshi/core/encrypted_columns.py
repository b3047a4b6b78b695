"""Whole-column work on encrypted fields: the data migrations that encrypt existing rows, key rotation and
the per-key census.

These read and write the stored tokens with plain SQL, not through the model field, so that a row can be
moved from one key to another without the ORM decrypting and re-encrypting it behind the caller's back,
and so that data migrations do not depend on the model of the day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from luoshi.core import crypto

DEFAULT_BATCH_SIZE = 500
PLAINTEXT = "(plaintext)"


@dataclass(frozen=True)
class Column:
    """One encrypted column: where it is and how its rows are keyed."""

    label: str  # app_label.Model.field, for people
    table: str
    column: str
    pk_column: str

    @property
    def context(self) -> str:
        return f"{self.table}.{self.column}"


def encrypted_columns(using: str = DEFAULT_DB_ALIAS) -> list[Column]:
    """Every ``EncryptedTextField`` column of every installed, managed, concrete model whose table exists
    (a model whose migration has not run yet holds no values)."""
    from luoshi.core.fields import EncryptedTextField

    tables = set(connections[using].introspection.table_names())
    found: list[Column] = []
    for model in global_apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped or meta.db_table not in tables:
            continue
        for field in meta.local_concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append(
                    Column(
                        label=f"{meta.label}.{field.name}",
                        table=meta.db_table,
                        column=field.column,
                        pk_column=meta.pk.column,
                    )
                )
    return found


def _batches(
    connection: BaseDatabaseWrapper, column: Column, batch_size: int
) -> Iterator[list[tuple[Any, str]]]:
    """The non-empty stored values, ``batch_size`` rows at a time in key order."""
    q = connection.ops.quote_name
    base = (
        f"SELECT {q(column.pk_column)}, {q(column.column)} FROM {q(column.table)} "  # noqa: S608 (names are quoted identifiers from model metadata)
        f"WHERE {q(column.column)} IS NOT NULL AND {q(column.column)} <> ''"
    )
    last: Any = None
    while True:
        with connection.cursor() as cursor:
            if last is None:
                cursor.execute(f"{base} ORDER BY {q(column.pk_column)} LIMIT %s", [batch_size])
            else:
                cursor.execute(
                    f"{base} AND {q(column.pk_column)} > %s ORDER BY {q(column.pk_column)} LIMIT %s",
                    [last, batch_size],
                )
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1][0]


def rewrite_column(
    connection: BaseDatabaseWrapper,
    column: Column,
    transform: Callable[[str], str | None],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Store ``transform(value)`` for every non-empty value (``None`` keeps it); return how many changed.

    Each batch is one transaction. An update only applies when the row still holds the value that was
    read, so a concurrent save (already under the current key) is never overwritten with an older value.
    """
    q = connection.ops.quote_name
    update = (
        f"UPDATE {q(column.table)} SET {q(column.column)} = %s "  # noqa: S608 (quoted identifiers)
        f"WHERE {q(column.pk_column)} = %s AND {q(column.column)} = %s"
    )
    changed = 0
    for rows in _batches(connection, column, batch_size):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            for pk, stored in rows:
                new = transform(stored)
                if new is None or new == stored:
                    continue
                cursor.execute(update, [new, pk, stored])
                changed += cursor.rowcount
    return changed


def encrypt_plaintext(connection: BaseDatabaseWrapper, column: Column) -> int:
    """Encrypt the values still stored in clear (tokens are left alone, so running twice is harmless)."""

    def transform(stored: str) -> str | None:
        return None if crypto.is_token(stored) else crypto.encrypt(stored, context=column.context)

    return rewrite_column(connection, column, transform)


def decrypt_to_plaintext(connection: BaseDatabaseWrapper, column: Column) -> int:
    """Store every token's plaintext again (the reverse of :func:`encrypt_plaintext`)."""

    def transform(stored: str) -> str | None:
        return crypto.decrypt(stored, context=column.context) if crypto.is_token(stored) else None

    return rewrite_column(connection, column, transform)


def rotate(
    *,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    columns: list[Column] | None = None,
) -> dict[str, int]:
    """Re-encrypt every value not under the current key and cipher; values per column label.

    Values in clear (left by a failed migration or written by hand) are encrypted on the way. Idempotent:
    a second run changes nothing. Any value that does not decrypt stops the run with
    :class:`~luoshi.core.crypto.FieldCryptoError`; the batches before it stay committed, and are skipped
    when the run is repeated after the key is restored.
    """
    connection = connections[using]
    ring = crypto.key_ring()
    algorithm = crypto.configured_algorithm()
    moved: dict[str, int] = {}
    for column in columns if columns is not None else encrypted_columns(using):

        def transform(stored: str, column: Column = column) -> str | None:
            if not crypto.is_token(stored):
                return crypto.encrypt(stored, context=column.context, ring=ring, algorithm=algorithm)
            if not crypto.needs_rotation(stored, ring=ring, algorithm=algorithm):
                return None
            plaintext = crypto.decrypt(stored, context=column.context, ring=ring)
            return crypto.encrypt(plaintext, context=column.context, ring=ring, algorithm=algorithm)

        moved[column.label] = rewrite_column(connection, column, transform, batch_size=batch_size)
    return moved


def census(*, using: str = DEFAULT_DB_ALIAS, columns: list[Column] | None = None) -> dict[str, Counter[str]]:
    """How many stored values each key id (and algorithm) holds, per column label: ``{"k1/aes-gcm": 3}``.

    Reads headers only; nothing is decrypted. Values in clear count under ``(plaintext)``.
    """
    connection = connections[using]
    result: dict[str, Counter[str]] = {}
    for column in columns if columns is not None else encrypted_columns(using):
        counts: Counter[str] = Counter()
        for rows in _batches(connection, column, DEFAULT_BATCH_SIZE * 4):
            for _pk, stored in rows:
                if crypto.is_token(stored):
                    try:
                        header = crypto.parse_header(stored)
                    except crypto.FieldCryptoError:
                        counts["(unreadable)"] += 1
                        continue
                    counts[f"{header.key_id}/{header.algorithm}"] += 1
                else:
                    counts[PLAINTEXT] += 1
        result[column.label] = counts
    return result


def migration_operation(app_label: str, model_name: str, *field_names: str) -> object:
    """A ``RunPython`` that encrypts the named fields' plaintext rows, and decrypts them when reversed.

    Put it after the ``AlterField`` that turns a column into an ``EncryptedTextField`` (and, reversed,
    it runs before the column turns back, so the plain column receives plaintext).
    """
    from django.db import migrations

    def columns(apps: object, schema_editor: object) -> list[Column]:
        model = apps.get_model(app_label, model_name)  # type: ignore[attr-defined]
        meta = model._meta
        return [
            Column(
                label=f"{meta.label}.{name}",
                table=meta.db_table,
                column=meta.get_field(name).column,
                pk_column=meta.pk.column,
            )
            for name in field_names
        ]

    def forwards(apps: object, schema_editor: object) -> None:
        for column in columns(apps, schema_editor):
            encrypt_plaintext(schema_editor.connection, column)  # type: ignore[attr-defined]

    def backwards(apps: object, schema_editor: object) -> None:
        for column in columns(apps, schema_editor):
            decrypt_to_plaintext(schema_editor.connection, column)  # type: ignore[attr-defined]

    return migrations.RunPython(forwards, backwards, elidable=False)
