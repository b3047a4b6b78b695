"""Walking the audit trail's hash chain (``luoshi audit verify``, ``GET /api/v1/audit/verify``).

The walk streams events in ``seq`` order as plain rows, a chunk at a time, so memory stays constant however
long the trail is. For each event it checks, in order: that its ``seq`` follows the previous one (a gap
means deleted events), that it names a known algorithm, that its ``prev_hash`` is the previous event's
hash, and that its content still hashes to its ``hash``. The first failure is reported with the event's
sequence number, id and object.

After a retention purge (``luoshi.audit.retention``) the trail no longer starts at event #1. The walk then
starts from the first kept event, anchored by the checkpoint the purge signed at the cut: the purge's own
event (``audit.purge``, itself in the chain) carries that checkpoint, whose signature must hold and whose
head must be the event just before the first kept one, with the hash that event links to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import checkpoints
from luoshi.audit.checkpoints import Checkpoint, CheckpointError
from luoshi.audit.models import AuditEvent
from luoshi.audit.services import GENESIS_HASH, HASH_ALGORITHMS, HASHED_FIELDS, compute_hash
from luoshi.core.errors import LuoshiError

# The action of a retention purge's event, which carries the checkpoint the trail then starts from.
PURGE_ACTION = "audit.purge"

# Rows fetched per round trip: big enough to keep the walk fast, small enough to keep memory flat.
CHUNK_SIZE = 2000


class ChainBroken(LuoshiError):
    """The audit trail failed verification, so it cannot be checkpointed."""

    code = "audit_broken"
    status = 409


@dataclass(frozen=True)
class BrokenEvent:
    """The first event at which the chain fails, and why. ``id`` is None for an event that is missing."""

    seq: int
    id: int | None
    object_type: str
    object_id: str
    reason: str

    @property
    def object_label(self) -> str:
        """``type:id`` of the object the event is about, or "" when the event is missing."""
        return f"{self.object_type}:{self.object_id}" if self.object_type else ""

    def describe(self) -> str:
        """One sentence naming the event and what is wrong with it."""
        if self.object_type:
            return _("Event #%(seq)d (%(object)s): %(reason)s") % {
                "seq": self.seq,
                "object": self.object_label,
                "reason": self.reason,
            }
        return _("Event #%(seq)d: %(reason)s") % {"seq": self.seq, "reason": self.reason}


@dataclass(frozen=True)
class VerifyResult:
    """What a walk of the chain found.

    ``count`` and ``head_*`` describe the intact part of the chain: all of it when ``ok``, the events
    before ``first_broken`` otherwise. ``problem`` explains a failure that is not one event's (an
    unreadable or forged checkpoint).
    """

    ok: bool
    count: int
    head_seq: int
    head_hash: str
    algorithm: str
    first_broken: BrokenEvent | None = None
    problem: str = ""
    checkpoint: Checkpoint | None = None

    @property
    def message(self) -> str:
        """The outcome in one or two sentences, for people."""
        if self.first_broken is not None:
            return _("The audit trail is broken. %(event)s") % {"event": self.first_broken.describe()}
        if self.problem:
            return self.problem
        if self.count == 0:
            text = _("The audit trail is empty.")
        else:
            text = _(
                "The audit trail is intact: %(count)d events, head #%(seq)d (%(algorithm)s %(hash)s)."
            ) % {
                "count": self.count,
                "seq": self.head_seq,
                "algorithm": self.algorithm,
                "hash": self.head_hash,
            }
        if self.checkpoint is not None:
            text += " " + _("It agrees with the checkpoint of %(date)s (%(count)d events).") % {
                "date": _when(self.checkpoint),
                "count": self.checkpoint.count,
            }
        return text


@dataclass
class _Walk:
    count: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    algorithm: str = ""
    broken: BrokenEvent | None = None
    # The event at the checkpoint's head_seq, when there is a checkpoint to compare with.
    watched: dict[str, Any] | None = None
    # The checkpoint of the last retention purge, when the trail starts after event #1.
    anchor: Checkpoint | None = None


def verify_chain(*, checkpoint: Path | None = None, using: str = DEFAULT_DB_ALIAS) -> VerifyResult:
    """Walk the whole chain and report the first broken event, if any.

    With ``checkpoint``, also require that the chain still holds at least the checkpoint's events and
    that its event at the checkpoint's head has the recorded hash: this catches events deleted from the
    end, which leave a shorter chain that is otherwise intact.
    """
    expected: Checkpoint | None = None
    checkpoint_problem = ""
    if checkpoint is not None:
        try:
            expected = checkpoints.load(checkpoint)
        except CheckpointError as exc:
            checkpoint_problem = str(exc.message)
    walk = _walk(using, watch_seq=expected.head_seq if expected else None)
    intact = VerifyResult(
        ok=True,
        count=walk.count,
        head_seq=walk.head_seq,
        head_hash=walk.head_hash,
        algorithm=walk.algorithm or settings.LUOSHI_AUDIT_HASH,
        checkpoint=expected,
    )
    # A broken chain is the headline even when the checkpoint is bad too.
    if walk.broken is not None:
        return replace(intact, ok=False, first_broken=walk.broken)
    if checkpoint_problem:
        return replace(intact, ok=False, problem=checkpoint_problem)
    if expected is not None:
        broken = _compare(walk, expected)
        if broken is not None:
            return replace(intact, ok=False, first_broken=broken)
    return intact


def _walk(using: str, *, watch_seq: int | None) -> _Walk:
    walk = _Walk()
    rows = (
        AuditEvent.objects.using(using)
        .order_by("seq")
        .values("id", "hash", *HASHED_FIELDS)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for row in rows:
        if walk.count == 0 and row["seq"] > 1:
            # Only a purged trail starts later; anything else is reported below as missing events.
            walk.broken = _anchor_walk(walk, row, using)
            if walk.broken is not None:
                return walk
        walk.broken = _check(row, expected_seq=walk.head_seq + 1, prev_hash=walk.head_hash)
        if walk.broken is not None:
            return walk
        walk.count += 1
        walk.head_seq, walk.head_hash, walk.algorithm = row["seq"], row["hash"], row["algorithm"]
        if row["seq"] == watch_seq:
            walk.watched = row
    return walk


def purge_anchor(first_seq: int, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any] | None:
    """The checkpoint that the purge ending just before ``first_seq`` recorded, as stored in its event."""
    changes = (
        AuditEvent.objects.using(using)
        .filter(action=PURGE_ACTION, changes__through_seq=first_seq - 1)
        .order_by("-seq")
        .values_list("changes", flat=True)
        .first()
    )
    if not isinstance(changes, dict) or not isinstance(changes.get("checkpoint"), dict):
        return None
    return changes["checkpoint"]


def _anchor_walk(walk: _Walk, row: dict[str, Any], using: str) -> BrokenEvent | None:
    """Start ``walk`` after the purge that ended at ``row``'s predecessor, if its checkpoint holds."""
    raw = purge_anchor(row["seq"], using)
    if raw is None:
        return None  # no purge ended there: _check reports the events before ``row`` as missing
    problem = ""
    try:
        anchor = checkpoints.parse_signed(raw)
    except CheckpointError as exc:
        problem = str(exc.message)
    else:
        if anchor.head_hash != row["prev_hash"]:
            problem = _(
                "it does not link to the checkpoint that the retention purge signed at event #%(seq)d."
            ) % {"seq": anchor.head_seq}
    if problem:
        return BrokenEvent(
            seq=row["seq"],
            id=row["id"],
            object_type=row["object_type"],
            object_id=row["object_id"],
            reason=problem,
        )
    walk.anchor = anchor
    walk.head_seq, walk.head_hash, walk.algorithm = anchor.head_seq, anchor.head_hash, anchor.algorithm
    return None


def _check(row: dict[str, Any], *, expected_seq: int, prev_hash: str) -> BrokenEvent | None:
    """Why this event breaks the chain, or None if it holds."""
    seq = row["seq"]
    reason = ""
    if seq > expected_seq + 1:
        reason = _("events #%(first)d to #%(last)d before it are missing.") % {
            "first": expected_seq,
            "last": seq - 1,
        }
    elif seq == expected_seq + 1:
        reason = _("event #%(missing)d before it is missing.") % {"missing": expected_seq}
    elif seq != expected_seq:
        reason = _("its sequence number is out of place: #%(expected)d was expected.") % {
            "expected": expected_seq
        }
    elif row["algorithm"] not in HASH_ALGORITHMS:
        reason = _("it names an unknown hash algorithm, %(algorithm)s.") % {"algorithm": row["algorithm"]}
    elif row["prev_hash"] != prev_hash:
        if seq == 1:
            reason = _("it does not start the chain: its previous hash should be all zeros.")
        else:
            reason = _(
                "it does not link to event #%(previous)d: that event was altered or replaced after this "
                "one was written."
            ) % {"previous": seq - 1}
    elif compute_hash(row) != row["hash"]:
        reason = _("its content does not match its hash: the event was altered after it was written.")
    if not reason:
        return None
    return BrokenEvent(
        seq=seq, id=row["id"], object_type=row["object_type"], object_id=row["object_id"], reason=reason
    )


def _compare(walk: _Walk, expected: Checkpoint) -> BrokenEvent | None:
    """How an intact chain disagrees with a (genuine) checkpoint, or None if it agrees."""
    # Compared by sequence number, not count: a retention purge shortens the trail from the start.
    if walk.head_seq < expected.head_seq:
        return BrokenEvent(
            seq=walk.head_seq + 1,
            id=None,
            object_type="",
            object_id="",
            reason=_(
                "it is missing: the checkpoint of %(date)s recorded events up to #%(expected)d, the trail "
                "now ends at #%(seq)d. Events were removed from the end."
            )
            % {"date": _when(expected), "expected": expected.head_seq, "seq": walk.head_seq},
        )
    if expected.head_seq == 0:
        # A checkpoint of the empty trail: any chain that is intact extends it.
        return None
    # The checkpoint's head was purged since: only at the cut itself is there a hash to compare.
    anchor = walk.anchor
    if anchor is not None and (
        expected.head_seq < anchor.head_seq
        or (expected.head_seq == anchor.head_seq and expected.head_hash == anchor.head_hash)
    ):
        return None
    row = walk.watched
    if row is None or row["hash"] != expected.head_hash:
        return BrokenEvent(
            seq=expected.head_seq,
            id=row["id"] if row else None,
            object_type=row["object_type"] if row else "",
            object_id=row["object_id"] if row else "",
            reason=_(
                "it does not match the checkpoint of %(date)s: the trail was rewritten from here or earlier."
            )
            % {"date": _when(expected)},
        )
    return None


def _when(checkpoint: Checkpoint) -> str:
    return timezone.localtime(checkpoint.created_at).isoformat(timespec="seconds")


def write_checkpoint(path: Path, *, using: str = DEFAULT_DB_ALIAS) -> Checkpoint:
    """Verify the chain, then write its head (count and hash), signed, to ``path``.

    Refuses (``ChainBroken``) when the chain is broken: signing a damaged trail would vouch for it.
    """
    # Fetch (or create) the key first, so a missing or weak key fails before a long walk.
    key = checkpoints.signing_key(create=True)
    result = verify_chain(using=using)
    if not result.ok:
        raise ChainBroken(result.message)
    checkpoint = checkpoints.sign(
        Checkpoint(
            count=result.count,
            head_seq=result.head_seq,
            head_hash=result.head_hash,
            algorithm=result.algorithm,
            created_at=timezone.now(),
        ),
        key,
    )
    checkpoints.save(checkpoint, path)
    return checkpoint
