"""Audit retention: events older than ``LUOSHI_AUDIT_RETENTION_DAYS`` are purged, the chain still verifies.

China's Cybersecurity Law (art. 21) asks that network logs be kept for no less than six months, so a
retention below ``MIN_RETENTION_DAYS`` is refused: by the settings when they load, and here again, since
a caller may pass its own number.

A purge, in order:

1. verifies the whole chain (a broken trail is not signed, hence not purged);
2. finds the cut: the newest event such that it and every event before it are older than the retention;
3. signs a checkpoint whose head is the cut and writes it to ``LUOSHI_AUDIT_CHECKPOINT_DIR``;
4. deletes the events up to the cut, inside ``triggers.allow_purge``: the only way past the triggers,
   which also refuse to delete anything younger than 185 days whatever the caller asks;
5. appends an ``audit.purge`` event carrying the checkpoint. The verifier starts from the first kept
   event and checks that it links to that checkpoint's head (``luoshi.audit.verify``).

Steps 4 and 5 are one transaction, under the lock that serializes appends to the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import checkpoints, services, triggers
from luoshi.audit.checkpoints import Checkpoint
from luoshi.audit.models import AuditEvent
from luoshi.audit.verify import PURGE_ACTION, ChainBroken, verify_chain
from luoshi.core.errors import LuoshiError

MIN_RETENTION_DAYS = triggers.MIN_PURGE_AGE_DAYS
PURGE_ACTOR = "luoshi audit purge"


class RetentionTooShort(LuoshiError):
    """The retention asked for is shorter than the law allows."""

    code = "audit_retention"
    status = 422


def check_retention(days: int) -> None:
    """Refuse a retention below ``MIN_RETENTION_DAYS`` with a message that says what to set."""
    if days < MIN_RETENTION_DAYS:
        raise RetentionTooShort(
            _(
                "An audit retention of %(days)d days is too short: audit events must be kept at least "
                "%(min)d days (six months). Set LUOSHI_AUDIT_RETENTION_DAYS to %(min)d or more."
            )
            % {"days": days, "min": MIN_RETENTION_DAYS}
        )


@dataclass(frozen=True)
class PurgePlan:
    """What a purge would delete: the events from ``first_seq`` to ``through_seq`` (none when 0)."""

    cutoff: datetime
    first_seq: int
    through_seq: int
    count: int


@dataclass(frozen=True)
class PurgeResult:
    """What a purge did: how many events it deleted, the checkpoint at the cut, its own event."""

    plan: PurgePlan
    deleted: int
    checkpoint: Checkpoint | None
    checkpoint_path: Path | None
    event: AuditEvent | None


def plan(*, days: int | None = None, now: datetime | None = None, using: str = DEFAULT_DB_ALIAS) -> PurgePlan:
    """Which events are past the retention. The cut stops before the first event inside it, so an event
    with an odd clock (older, but after a newer one) is never purged out of order."""
    days = settings.LUOSHI_AUDIT_RETENTION_DAYS if days is None else days
    check_retention(days)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    events = AuditEvent.objects.using(using)
    first = events.order_by("seq").values_list("seq", flat=True).first()
    if first is None:
        return PurgePlan(cutoff=cutoff, first_seq=0, through_seq=0, count=0)
    first_kept = events.filter(occurred_at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
    if first_kept is None:
        through = events.order_by("-seq").values_list("seq", flat=True).first() or 0
    else:
        through = first_kept - 1
    count = events.filter(seq__lte=through).count() if through >= first else 0
    return PurgePlan(cutoff=cutoff, first_seq=first, through_seq=through if count else 0, count=count)


def purge_expired(
    *,
    days: int | None = None,
    now: datetime | None = None,
    checkpoint_dir: Path | None = None,
    actor: Any = PURGE_ACTOR,
    using: str = DEFAULT_DB_ALIAS,
) -> PurgeResult:
    """Delete the events past the retention, after signing a checkpoint at the cut (see the module)."""
    days = settings.LUOSHI_AUDIT_RETENTION_DAYS if days is None else days
    check_retention(days)
    # The key first: without it nothing can be signed, and nothing is deleted.
    key = checkpoints.signing_key(create=True)
    verified = verify_chain(using=using)
    if not verified.ok:
        raise ChainBroken(verified.message)
    with transaction.atomic(using=using):
        services.lock_chain(using)
        todo = plan(days=days, now=now, using=using)
        if todo.count == 0:
            return PurgeResult(plan=todo, deleted=0, checkpoint=None, checkpoint_path=None, event=None)
        head = AuditEvent.objects.using(using).values("seq", "hash", "algorithm").get(seq=todo.through_seq)
        checkpoint = checkpoints.sign(
            Checkpoint(
                count=todo.count,
                head_seq=head["seq"],
                head_hash=head["hash"],
                algorithm=head["algorithm"],
                created_at=timezone.now(),
            ),
            key,
        )
        directory = Path(checkpoint_dir or settings.LUOSHI_AUDIT_CHECKPOINT_DIR)
        path = directory / f"purge-{head['seq']:012d}.json"
        # Written before anything is deleted: if the write fails, so does the purge.
        checkpoints.save(checkpoint, path)
        with triggers.allow_purge(todo.through_seq, using=using):
            deleted, _per_model = AuditEvent.objects.using(using).filter(seq__lte=todo.through_seq).delete()
        event = services.record(
            actor=actor,
            action=PURGE_ACTION,
            object_type="audit.auditevent",
            object_id=str(todo.through_seq),
            object_repr=_("Audit events #%(first)d to #%(last)d")
            % {"first": todo.first_seq, "last": todo.through_seq},
            changes={
                "through_seq": todo.through_seq,
                "first_seq": todo.first_seq,
                "deleted": deleted,
                "retention_days": days,
                "cutoff": todo.cutoff,
                "checkpoint_file": str(path),
                "checkpoint": checkpoints.as_dict(checkpoint),
            },
        )
    return PurgeResult(plan=todo, deleted=deleted, checkpoint=checkpoint, checkpoint_path=path, event=event)
