"""Reads about directives that span models: what became of each clause."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.core import sql, trees
from luoshi.core.errors import NotFound
from luoshi.directives.models import Clause, Directive
from luoshi.organizations.models import Organization
from luoshi.tasks import lights
from luoshi.tasks.models import Task, TaskStatus

# Subtrees with up to this many tasks have the directives carried out in them read off their tasks once
# (``clause_coverage``).
FEW_TASKS = 2000


@dataclass
class ClauseSummary:
    """A clause with the tasks that implement it (top-level tasks; subtasks roll up into them).

    ``task_count`` and ``worst_light`` count every task of the clause: whether a clause is decomposed
    is a fact about the directive, which the reader may see. ``tasks`` lists only the tasks the reader
    may see.
    """

    clause: Clause
    task_count: int
    worst_light: str | None
    tasks: list[Task] = field(default_factory=list)

    @property
    def not_decomposed(self) -> bool:
        return self.task_count == 0


def visible_directives(user: Any) -> QuerySet[Directive]:
    return access.visible(user, Directive.objects.select_related("issuing_org"))


def directive_list(
    *, user: Any, kind: str | None = None, level: str | None = None, q: str = ""
) -> QuerySet[Directive]:
    """The directives ``user`` may see, newest first, optionally of one kind or level, or with ``q`` in
    the title, the document number or the issuing body."""
    qs = visible_directives(user)
    if kind:
        qs = qs.filter(kind=kind)
    if level:
        qs = qs.filter(level=level)
    if q.strip():
        needle = q.strip()
        qs = qs.filter(
            Q(title__icontains=needle) | Q(doc_number__icontains=needle) | Q(issuing_body__icontains=needle)
        )
    return qs.order_by("-issued_on", "-pk")


def directive_get(*, user: Any, pk: int) -> Directive:
    """One directive the user may see, or ``NotFound``."""
    directive = visible_directives(user).filter(pk=pk).first()
    if directive is None:
        raise NotFound(_("Not found."))
    return directive


def clause_get(*, user: Any, pk: int) -> Clause:
    """One clause of a directive the user may see, or ``NotFound``."""
    clause = access.visible(user, Clause.objects.select_related("directive")).filter(pk=pk).first()
    if clause is None:
        raise NotFound(_("Not found."))
    return clause


def _clauses_with_counts(directive: Directive) -> list[tuple[Clause, int, str | None]]:
    """The clauses of ``directive`` in order, each with the number of its top-level tasks and their worst
    light (cancelled tasks left out): one statement."""
    roots = Task.objects.filter(clause=OuterRef("pk"), parent__isnull=True).exclude(
        status=TaskStatus.CANCELLED
    )
    clauses = (
        Clause.objects.filter(directive=directive)
        .select_related("focus_area")
        .annotate(
            task_count=Coalesce(
                Subquery(roots.order_by().values("clause").annotate(n=Count("id")).values("n")[:1]),
                Value(0),
                output_field=IntegerField(),
            ),
            worst_rank=Subquery(
                roots.annotate(severity=lights.rank_expression("light"))
                .order_by("severity")
                .values("severity")[:1]
            ),
        )
        .order_by("ordinal")
    )
    return [(c, c.task_count, _light_of_rank(c.worst_rank)) for c in clauses]


def _light_of_rank(rank: int | None) -> str | None:
    ranks = lights.order()
    return ranks[rank] if rank is not None and rank < len(ranks) else None


def clause_summaries(*, user: Any, directive: Directive) -> list[ClauseSummary]:
    """Every clause of ``directive`` in order, with its tasks and their worst light. Two queries."""
    clauses = _clauses_with_counts(directive)
    visible_roots = (
        access.visible(user, Task.objects.filter(clause__directive=directive, parent__isnull=True))
        .exclude(status=TaskStatus.CANCELLED)
        .select_related("lead_org")
        .order_by("path")
    )
    by_clause: dict[int, list[Task]] = {}
    for task in visible_roots:
        by_clause.setdefault(task.clause_id or 0, []).append(task)
    return [
        ClauseSummary(clause=c, task_count=count, worst_light=worst, tasks=by_clause.get(c.pk, []))
        for c, count, worst in clauses
    ]


def undecomposed_clauses(*, user: Any) -> QuerySet[Clause]:
    """Clauses of the directives ``user`` sees that no task implements yet ("not yet decomposed")."""
    live = Task.objects.filter(clause=OuterRef("pk")).exclude(status=TaskStatus.CANCELLED)
    return (
        access.visible(user, Clause.objects.select_related("directive"))
        .filter(~Exists(live))
        .order_by("directive__issued_on", "directive_id", "ordinal")
    )


# --- the directive as a tree ----------------------------------------------------------------------


@dataclass
class TaskNode:
    """A task in the directive's tree, with the visible tasks directly below it."""

    task: Task
    children: list[TaskNode] = field(default_factory=list)


@dataclass
class ClauseBranch:
    """A clause with its counts (as ``ClauseSummary``) and its visible tasks as trees."""

    clause: Clause
    task_count: int
    worst_light: str | None
    tasks: list[TaskNode] = field(default_factory=list)

    @property
    def not_decomposed(self) -> bool:
        return self.task_count == 0


@dataclass
class DirectiveTree:
    """Clauses → tasks → subtasks of one directive; ``other_tasks`` are tasks of the directive that
    implement no particular clause."""

    directive: Directive
    clauses: list[ClauseBranch]
    other_tasks: list[TaskNode]


def directive_tree(*, user: Any, directive: Directive) -> DirectiveTree:
    """The directive's clauses with every task the user may see nested under them, built from the
    materialized paths: two queries (the clauses with their counts, then the tasks in path order),
    whatever the size of the tree.

    A task whose parent the user may not see (a street sees its subtask, not the district's task above
    it) hangs from its nearest visible ancestor, or from its clause. Cancelled tasks are left out, as
    they are from the clause counts.
    """
    clauses = _clauses_with_counts(directive)
    tasks = (
        access.visible(user, Task.objects.filter(directive=directive))
        .exclude(status=TaskStatus.CANCELLED)
        .select_related("lead_org")
        .order_by("path")
    )
    branches = {
        c.pk: ClauseBranch(clause=c, task_count=count, worst_light=worst) for c, count, worst in clauses
    }
    other: list[TaskNode] = []
    nodes: dict[str, TaskNode] = {}
    for task in tasks:
        node = TaskNode(task)
        nodes[task.path] = node
        # Path order puts every ancestor before its descendants, so the nearest one is already placed.
        parent = next((nodes[p] for p in reversed(trees.ancestor_paths(task.path)) if p in nodes), None)
        if parent is not None:
            parent.children.append(node)
        elif task.clause_id in branches:
            branches[task.clause_id].tasks.append(node)
        else:
            other.append(node)
    return DirectiveTree(directive=directive, clauses=list(branches.values()), other_tasks=other)


def clause_coverage(path: str, *, tasks: int | None = None) -> tuple[int, int]:
    """(clauses, clauses covered by a live task) of the directives issued in the subtree at ``path`` or
    carried out in it: one statement, written by hand because the cockpit asks on every request and
    building it through the ORM cost more than running it.

    ``tasks``, the number of tasks led in the subtree when the caller knows it, picks how the directives
    carried out there are found. In a large subtree, asking per directive whether one of its tasks lies
    there stops at the first one found. In a small one (up to ``FEW_TASKS``) that test may walk most of
    the subtree's tasks once per directive, so they are read once instead (a township: a quarter of the
    time)."""
    clause, directive = Clause._meta.db_table, Directive._meta.db_table
    task, unit = Task._meta.db_table, Organization._meta.db_table
    low, high = path, trees.successor(path)
    if tasks is not None and tasks <= FEW_TASKS:
        carried_out = (
            f"SELECT d.id FROM {directive} d JOIN {unit} o ON o.id = d.issuing_org_id"  # noqa: S608
            " WHERE o.path >= %s AND o.path < %s"
            f" UNION SELECT r.directive_id FROM {task} r WHERE r.lead_org_path >= %s AND r.lead_org_path < %s"
        )
    else:
        carried_out = (
            f"SELECT d.id FROM {directive} d LEFT JOIN {unit} o ON o.id = d.issuing_org_id"  # noqa: S608
            " WHERE (o.path >= %s AND o.path < %s)"
            f" OR EXISTS (SELECT 1 FROM {task} r WHERE r.directive_id = d.id"
            " AND r.lead_org_path >= %s AND r.lead_org_path < %s)"
        )
    statement = (
        f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM {task} t WHERE t.clause_id = c.id"  # noqa: S608
        f" AND t.status <> '{TaskStatus.CANCELLED}') THEN 1 ELSE 0 END), 0) FROM {clause} c"
        f" WHERE c.directive_id IN ({carried_out})"
    )
    [(total, covered)] = sql.read_rows(Clause, statement, [low, high, low, high])
    return int(total), int(covered)
