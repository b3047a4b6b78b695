"""Closing criteria of rectifications (整改销号标准, issue 4 item 5).

A rectification (a task published for a notice period before it closes: ``requires_public_notice``) is
accepted only when its lead unit has ticked every criterion of ``ClosingCriterion`` with evidence: all
measures done, results meet the standard, similar problems fixed too, a long-term mechanism in place.
``unmet_message`` is the guard ``workflow`` puts on acceptance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import workdays
from luoshi.core.errors import Conflict, ValidationFailed
from luoshi.core.validation import invalid
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.services import evidence_attach
from luoshi.organizations.models import User
from luoshi.tasks.models import ClosingCheck, ClosingCriterion, Task, TaskStatus
from luoshi.tasks.writes import load_for_write

# While the lead unit is still working on it: once it asks for verification, the criteria are what the
# assigning unit judges, and they stay as they were sent.
TICKABLE = (TaskStatus.IN_PROGRESS, TaskStatus.RETURNED)


def is_rectification(task: Task) -> bool:
    return task.requires_public_notice


def criteria_status(task: Task) -> list[dict[str, Any]]:
    """Each criterion with its tick (or None) and evidence count, in the order of ``ClosingCriterion``.
    Two queries (the ticks, their evidence), or none when ``closing_checks`` was prefetched."""
    checks = {c.criterion: c for c in task.closing_checks.all()}
    return [
        {
            "criterion": criterion.value,
            "label": criterion.label,
            "check": checks.get(criterion.value),
            "evidence": list(checks[criterion.value].evidence_files.all()) if criterion in checks else [],
        }
        for criterion in ClosingCriterion
    ]


def unmet_criteria(task: Task) -> list[ClosingCriterion]:
    """The criteria not yet ticked with at least one evidence file. One query."""
    met = set(
        ClosingCheck.objects.filter(task=task)
        .annotate(files=Count("evidence_files"))
        .filter(files__gt=0)
        .values_list("criterion", flat=True)
    )
    return [c for c in ClosingCriterion if c.value not in met]


def unmet_message(task: Task) -> str | None:
    """Why a rectification cannot be accepted yet, or None."""
    if not is_rectification(task):
        return None
    unmet = unmet_criteria(task)
    if not unmet:
        return None
    return _(
        "A rectification is accepted only when every closing criterion is met with evidence; still open: "
        "%(list)s."
    ) % {"list": _("; ").join(str(c.label) for c in unmet)}


@transaction.atomic
def closing_check_tick(
    *,
    actor: User,
    task: Task,
    criterion: str,
    note: str = "",
    files: Iterable[File] = (),
    evidence_ids: Iterable[int] = (),
    today: date | None = None,
) -> ClosingCheck:
    """The lead unit ticks ``criterion`` with evidence: new ``files`` (attached to the task now) and/or
    evidence files already on the task (``evidence_ids``). Ticking again adds evidence and replaces the
    note."""
    chain = load_for_write(actor=actor, task=task, version=None, action="request_completion")
    locked = chain[-1]
    if not is_rectification(locked):
        raise Conflict(_("Closing criteria apply to rectifications only."))
    if locked.status not in TICKABLE:
        raise Conflict(
            _("Closing criteria are ticked while the rectification is being worked on; it is “%(state)s”.")
            % {"state": TaskStatus(locked.status).label}
        )
    if criterion not in ClosingCriterion.values:
        raise invalid({"criterion": [_("Choose one of the closing criteria.")]})
    wanted = list(dict.fromkeys(int(i) for i in evidence_ids))
    existing = list(EvidenceFile.objects.filter(task=locked, pk__in=wanted))
    if len(existing) != len(wanted):
        raise invalid({"evidence_ids": [_("Choose evidence files of this task.")]})
    uploads = list(files)
    check = ClosingCheck.objects.filter(task=locked, criterion=criterion).first()
    if not uploads and not existing and (check is None or not check.evidence_files.exists()):
        message = _("Please attach the evidence that this criterion is met.")
        raise ValidationFailed(message, fields={"files": [message]})
    new_files = evidence_attach(actor=actor, task=locked, files=uploads)
    created = check is None
    if check is None:
        check = ClosingCheck(task=locked, criterion=criterion)
    check.note = note.strip()
    check.checked_by = actor
    check.checked_on = today or workdays.today()
    check.save()
    check.evidence_files.add(*existing, *new_files)
    audit.record(
        actor=actor,
        action="task.closing_check",
        obj=locked,
        changes={
            "criterion": criterion,
            "created": created,
            "note": check.note,
            "evidence": [e.pk for e in [*existing, *new_files]],
        },
    )
    return check


@transaction.atomic
def closing_check_untick(*, actor: User, task: Task, criterion: str) -> None:
    """Withdraw a tick (e.g. the evidence turned out not to show it); the evidence files stay on the task."""
    chain = load_for_write(actor=actor, task=task, version=None, action="request_completion")
    locked = chain[-1]
    if locked.status not in TICKABLE:
        raise Conflict(
            _("Closing criteria are ticked while the rectification is being worked on; it is “%(state)s”.")
            % {"state": TaskStatus(locked.status).label}
        )
    deleted, _rows = ClosingCheck.objects.filter(task=locked, criterion=criterion).delete()
    if deleted:
        audit.record(actor=actor, action="task.closing_uncheck", obj=locked, changes={"criterion": criterion})


def met_counts(task_ids: Iterable[int]) -> dict[int, int]:
    """How many criteria each task has met with evidence, for lists. One query."""
    return dict(
        Counter(
            ClosingCheck.objects.filter(task_id__in=list(task_ids))
            .annotate(files=Count("evidence_files"))
            .filter(files__gt=0)
            .values_list("task_id", flat=True)
        )
    )
