"""Reads about directives that span models: what became of each clause."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from luoshi import access
from luoshi.directives.models import Clause, Directive
from luoshi.tasks import lights
from luoshi.tasks.models import Task, TaskStatus


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


def clause_summaries(*, user: Any, directive: Directive) -> list[ClauseSummary]:
    """Every clause of ``directive`` in order, with its tasks and their worst light. Two queries."""
    roots = Task.objects.filter(clause=OuterRef("pk"), parent__isnull=True).exclude(
        status=TaskStatus.CANCELLED
    )
    ranks = lights.order()
    clauses = list(
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
        ClauseSummary(
            clause=c,
            task_count=c.task_count,
            worst_light=ranks[c.worst_rank]
            if c.worst_rank is not None and c.worst_rank < len(ranks)
            else None,
            tasks=by_clause.get(c.pk, []),
        )
        for c in clauses
    ]


def undecomposed_clauses(*, user: Any) -> QuerySet[Clause]:
    """Clauses of the directives ``user`` sees that no task implements yet ("not yet decomposed")."""
    live = Task.objects.filter(clause=OuterRef("pk")).exclude(status=TaskStatus.CANCELLED)
    return (
        access.visible(user, Clause.objects.select_related("directive"))
        .filter(~Exists(live))
        .order_by("directive__issued_on", "directive_id", "ordinal")
    )
