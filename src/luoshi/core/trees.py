"""Materialized paths shared by every tree (organisations, tasks).

A node's path is its ancestors' ids and its own, each zero-padded to ``SEGMENT`` digits, concatenated:
``0000000001`` → ``00000000010000000007``. Subtrees are one index range scan that works the same on SQLite
and PostgreSQL: ``path >= P AND path < successor(P)``, where ``successor`` is the next digit string of the
same length. Paths hold digits only, so every collation orders them like bytes.
"""

from __future__ import annotations

from django.db.models import CharField, F, Func, Q, Value
from django.db.models.functions import Cast, LPad

SEGMENT = 10


def segment(node_id: int) -> str:
    text = str(node_id)
    if len(text) > SEGMENT:
        raise ValueError(f"id {node_id} does not fit a path segment")
    return text.zfill(SEGMENT)


def child_path(parent_path: str, node_id: int) -> str:
    return parent_path + segment(node_id)


def path_expression(id_field: str) -> Func:
    """``segment`` in SQL: the path of a top-level node from its id column, for set-based writes."""
    return LPad(Cast(F(id_field), CharField()), SEGMENT, Value("0"))


def successor(path: str) -> str:
    """The smallest string of the same length greater than every path that starts with ``path``."""
    return str(int(path) + 1).zfill(len(path))


def depth_of(path: str) -> int:
    return len(path) // SEGMENT


def ancestor_paths(path: str) -> list[str]:
    """Paths of the node's ancestors, root first, without the node itself."""
    return [path[:end] for end in range(SEGMENT, len(path), SEGMENT)]


def ids_in_path(path: str) -> list[int]:
    return [int(path[i : i + SEGMENT]) for i in range(0, len(path), SEGMENT)]


def subtree_q(field: str, path: str) -> Q:
    """Rows whose ``field`` lies in the subtree rooted at ``path`` (the root included)."""
    return Q(**{f"{field}__gte": path, f"{field}__lt": successor(path)})


def is_within(path: str, root_path: str) -> bool:
    return path.startswith(root_path)
