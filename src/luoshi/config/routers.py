"""Reads that may go to the read replica (``DATABASE_REPLICA_URL``), and only those.

A replica lags behind the primary by a moment, so sending every read there would show people a page
that forgets what they just saved. Reads go to it only inside ``replica_reads()`` (a context manager and
a decorator), which wraps dashboards and exports: pages that read a lot, write nothing, and tolerate a
second of lag. Inside that context a read still goes to the primary when

- no replica is configured (the context is then a no-op, as in the demo on SQLite);
- the primary connection is inside a transaction (``atomic``), which may have written rows the replica
  cannot see yet, and whose reads must see one consistent snapshot;
- something was written since the context began (read-your-writes for the rest of it).

Every write, and migrations, go to the primary. The flag lives in a ``ContextVar``, so each thread (and
each asyncio task) of a server process has its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _Scope:
    """One ``replica_reads()`` block; ``wrote`` turns the replica off for the rest of it."""

    wrote: bool = False


_scope: ContextVar[_Scope | None] = ContextVar("luoshi_replica_reads", default=None)


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in connections.settings


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads in this block go to the replica (see the module's description for the exceptions).

    Nested blocks share the outer block's scope, so a write anywhere turns the replica off for the
    whole outer block.
    """
    if _scope.get() is not None:
        yield
        return
    token = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(token)


def use_replica_reads(view: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of ``replica_reads()`` for read-only views (dashboards, exports).

    The view must finish its reads before it returns: a lazily rendered response (``TemplateResponse``,
    a streaming generator) would read after the block ended, which is safe (on the primary) but wasted.
    """

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


def reading_from_replica() -> bool:
    """Whether a read issued now would go to the replica."""
    scope = _scope.get()
    if scope is None or scope.wrote or not replica_configured():
        return False
    return not connections[DEFAULT_DB_ALIAS].in_atomic_block


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads to the replica inside ``replica_reads()``, all else to default."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return REPLICA_DB_ALIAS if reading_from_replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        scope = _scope.get()
        if scope is not None:
            scope.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Both aliases hold the same data: an object read from the replica may point at one written to
        # the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        # The replica follows the primary by streaming replication; it is never migrated itself.
        return db == DEFAULT_DB_ALIAS
