"""The search index: one row per searchable object (DESIGN §10).

Rows are written only by ``luoshi.search.services``. The full-text structure over ``tokens`` is the
database's own: on PostgreSQL ``tokens`` is a ``tsvector`` column with a GIN index; on SQLite it is text
read by the FTS5 table ``search_fts``, which triggers keep in step with this table (migration 0002).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    TASK = "task", _("Task")
    CLAUSE = "clause", _("Clause")
    DIRECTIVE = "directive", _("Directive")
    REPORT = "report", _("Progress report")


# Entries seen through a directive (the directive rule applies); the others are seen through a task.
DIRECTIVE_KINDS = frozenset({EntryKind.CLAUSE, EntryKind.DIRECTIVE})


class TermsField(models.Field):
    """Space-separated index terms: ``tsvector`` on PostgreSQL, ``text`` elsewhere.

    Terms hold letters and digits only, so PostgreSQL reads the text as a ``tsvector`` literal verbatim:
    no parser, no dictionary, no locale (the default text-search parser would split Chinese text by
    the database's locale). Reading the column back gives PostgreSQL's sorted, quoted rendering.
    """

    description = _("Full-text index terms")

    def db_type(self, connection: Any) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        # Explicit, so that the value is read as a tsvector however the driver types the parameter.
        return "CAST(%s AS tsvector)" if connection.vendor == "postgresql" else "%s"


class SearchEntry(models.Model):
    """What an object is searched by, with the facts needed to decide who may see it.

    ``org_path`` is the path of the unit whose people see the entry: a task's (or a report's task's)
    lead unit, a directive's (or a clause's directive's) issuing unit. It lets the common case of
    visibility be decided by a range comparison on the row itself; it is rewritten when the task is
    transferred or the unit moves (``services.index_task``, ``services.on_organization_moved``).
    ``audience`` names the units whose people may see the entry, for the full-text lookup; it may name
    more (never fewer), and the visibility rules decide.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    object_id = models.BigIntegerField(_("object"))
    # The task itself, or the task of a report; empty for clauses and directives.
    task_id = models.BigIntegerField(_("task"), null=True, blank=True)
    # The directive itself, or the directive of a clause; empty for tasks and reports. Each entry has
    # one of the two, so that exactly one visibility rule applies to it.
    directive_id = models.BigIntegerField(_("directive"), null=True, blank=True)
    org_path = models.CharField(_("unit path"), max_length=250)
    # The normalized text (luoshi.search.text.searchable_text): what a hit must contain.
    text = models.TextField(_("text"))
    tokens = TermsField(_("index terms"))
    # "§<unit id>" for every unit whose people may see the entry (at least those; see services), so
    # that the full-text index narrows a search to the searcher's units in the same lookup.
    audience = TermsField(_("audience terms"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_unique_object"),
        ]
        indexes = [
            models.Index(fields=["task_id"], name="search_entry_task_idx"),
            models.Index(fields=["directive_id"], name="search_entry_directive_idx"),
            models.Index(fields=["org_path"], name="search_entry_org_path_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
