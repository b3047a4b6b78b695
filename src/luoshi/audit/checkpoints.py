"""Signed checkpoints of the audit trail's head, kept outside the database.

The hash chain shows that no event was altered or removed *between* others, but someone who deletes the
newest events leaves a shorter chain that is still intact. A checkpoint records how long the chain was
and the hash of its head, signed with HMAC-SHA256 under a key the database never holds; verifying
against it catches a shortened or rewritten tail. Store checkpoint files away from the database server
(another machine, write-once storage).

The key is ``LUOSHI_AUDIT_KEY`` when set, otherwise the contents of ``LUOSHI_AUDIT_KEY_FILE``, which is
created (32 random bytes as hex, mode 0600) the first time a checkpoint is written.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any, TypeGuard

from django.conf import settings
from django.utils.translation import gettext as _

from luoshi.core.errors import LuoshiError

# An HMAC key should carry at least as many bits as its hash output would resist guessing: 128 and up.
MIN_KEY_LENGTH = 32
HEX_DIGITS = frozenset("0123456789abcdef")


class CheckpointError(LuoshiError):
    """A checkpoint cannot be written or trusted: no key, an unreadable file, or a wrong signature."""

    code = "audit_checkpoint"
    status = 409


@dataclass(frozen=True)
class Checkpoint:
    """The head of the audit trail at one moment: how many events, and the hash of the newest one."""

    count: int
    head_seq: int
    head_hash: str
    algorithm: str
    created_at: datetime
    signature: str = ""

    def signed_content(self) -> bytes:
        """Every field but the signature, in one canonical JSON form."""
        payload = asdict(self)
        del payload["signature"]
        payload["created_at"] = self.created_at.isoformat()
        return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> str:
        payload = asdict(self)
        payload["created_at"] = self.created_at.isoformat()
        return json.dumps(payload, indent=2) + "\n"


def signing_key(*, create: bool = False) -> bytes:
    """The checkpoint key from the environment or the key file; ``create`` makes the file if missing."""
    configured = settings.LUOSHI_AUDIT_KEY.strip()
    if configured:
        return _checked(configured, "LUOSHI_AUDIT_KEY")
    path = Path(settings.LUOSHI_AUDIT_KEY_FILE)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            raise CheckpointError(
                _(
                    "There is no audit checkpoint key: set LUOSHI_AUDIT_KEY, or LUOSHI_AUDIT_KEY_FILE to "
                    "%(path)s."
                )
                % {"path": path}
            ) from None
        text = _create_key_file(path)
    return _checked(text, str(path))


def _create_key_file(path: Path) -> str:
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: if another process made the file meanwhile, use its key rather than overwrite it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def _checked(key: str, source: str) -> bytes:
    if len(key) < MIN_KEY_LENGTH:
        raise CheckpointError(
            _("The audit checkpoint key in %(source)s is too short: it needs at least %(n)d characters.")
            % {"source": source, "n": MIN_KEY_LENGTH}
        )
    return key.encode()


def sign(checkpoint: Checkpoint, key: bytes) -> Checkpoint:
    """A copy of ``checkpoint`` carrying its signature."""
    signature = hmac.new(key, checkpoint.signed_content(), sha256).hexdigest()
    return Checkpoint(**{**asdict(checkpoint), "signature": signature})


def save(checkpoint: Checkpoint, path: Path) -> None:
    """Write the checkpoint file whole or not at all (a crash leaves the previous file in place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(checkpoint.to_json(), encoding="utf-8")
    os.replace(partial, path)


def parse_signed(raw: Any, *, source: str = "") -> Checkpoint:
    """The checkpoint in ``raw`` (a parsed JSON object) after checking its signature."""
    checkpoint = _parse(raw)
    label = source or _("the retention purge")
    if checkpoint is None:
        raise CheckpointError(_("The checkpoint of %(source)s is malformed.") % {"source": label})
    expected = sign(checkpoint, signing_key()).signature
    if not hmac.compare_digest(expected, checkpoint.signature):
        raise CheckpointError(
            _(
                "The checkpoint of %(source)s has a wrong signature: it was changed, or signed with "
                "another key."
            )
            % {"source": label}
        )
    return checkpoint


def as_dict(checkpoint: Checkpoint) -> dict[str, Any]:
    """The checkpoint as the JSON object ``to_json`` writes (and ``parse_signed`` reads)."""
    payload = asdict(checkpoint)
    payload["created_at"] = checkpoint.created_at.isoformat()
    return payload


def load(path: Path) -> Checkpoint:
    """Read a checkpoint file and check its signature; ``CheckpointError`` says what is wrong."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(_("The checkpoint file %(path)s does not exist.") % {"path": path}) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            _("The checkpoint file %(path)s cannot be read: %(error)s") % {"path": path, "error": exc}
        ) from exc
    checkpoint = _parse(raw)
    if checkpoint is None:
        raise CheckpointError(
            _("The checkpoint file %(path)s is not a Luoshi audit checkpoint.") % {"path": path}
        )
    expected = sign(checkpoint, signing_key()).signature
    if not hmac.compare_digest(expected, checkpoint.signature):
        raise CheckpointError(
            _("The checkpoint %(path)s has a wrong signature: it was changed, or signed with another key.")
            % {"path": path}
        )
    return checkpoint


def _parse(raw: Any) -> Checkpoint | None:
    """The checkpoint in ``raw`` if every field is present with the right type, else None."""
    if not isinstance(raw, dict):
        return None
    count, head_seq = raw.get("count"), raw.get("head_seq")
    head_hash, algorithm, signature = raw.get("head_hash"), raw.get("algorithm"), raw.get("signature")
    created_at = _aware_datetime(raw.get("created_at"))
    if not (_is_count(count) and _is_count(head_seq) and _is_digest(head_hash) and _is_digest(signature)):
        return None
    if not isinstance(algorithm, str) or created_at is None:
        return None
    return Checkpoint(
        count=count,
        head_seq=head_seq,
        head_hash=head_hash,
        algorithm=algorithm,
        created_at=created_at,
        signature=signature,
    )


def _is_count(value: object) -> TypeGuard[int]:
    # bool is an int to Python; a checkpoint saying "count": true is malformed all the same.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_digest(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 64 and set(value) <= HEX_DIGITS


def _aware_datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
