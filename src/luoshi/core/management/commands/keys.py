"""``luoshi keys``: the keys that encrypt sensitive fields (generate, status, rotate).

Rotation, step by step (docs/security.md, "Sensitive fields"):

1. ``luoshi keys generate`` prints a new ``id:base64key`` entry;
2. put it first in ``LUOSHI_FIELD_KEYS`` or the key file, keeping the old keys after it, and restart every
   web process and worker, so that all of them write with the new key;
3. ``luoshi keys rotate`` re-encrypts every stored value still under an old key (or cipher);
4. ``luoshi keys status`` shows nothing left under the old key; only then remove it from the ring.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import crypto, encrypted_columns


class Command(BaseCommand):
    help = _(
        "Manage the keys that encrypt phone and ID numbers, webhook secrets and second-factor seeds: "
        "generate a key, count values per key, or re-encrypt everything under the current key."
    )
    # The key checks are this command's own work; `generate` in particular must work without any ring.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        generate = sub.add_parser(
            "generate", help=_("Print a new key entry (id:base64key); changes nothing.")
        )
        generate.add_argument("--id", dest="key_id", help=_("Key id (default: k<date><random>)."))
        sub.add_parser("status", help=_("Count the stored values under each key id and algorithm."))
        rotate = sub.add_parser(
            "rotate",
            help=_("Re-encrypt every value under the current (first) key and cipher; safe to repeat."),
        )
        rotate.add_argument(
            "--batch-size",
            type=int,
            default=encrypted_columns.DEFAULT_BATCH_SIZE,
            help=_("Rows per transaction (default %(default)s)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "generate":
                self.stdout.write(crypto.new_key_entry(options.get("key_id")))
            elif action == "status":
                self._status()
            else:
                self._rotate(options["batch_size"])
        except crypto.FieldCryptoError as exc:
            raise CommandError(str(exc.message)) from None

    def _status(self) -> None:
        ring = crypto.key_ring()
        self.stdout.write(
            _("Current key: %(id)s, cipher for new values: %(alg)s; keys in the ring: %(ids)s (%(source)s)")
            % {
                "id": ring.current_id,
                "alg": crypto.configured_algorithm(),
                "ids": ", ".join(ring.keys),
                "source": ring.source,
            }
        )
        totals: dict[str, int] = {}
        for label, counts in encrypted_columns.census().items():
            summary = ", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or _("no values")
            self.stdout.write(f"  {label}: {summary}")
            for name, n in counts.items():
                key_id = name.split("/", 1)[0]
                totals[key_id] = totals.get(key_id, 0) + n
        unknown = sorted(k for k in totals if k not in ring.keys and not k.startswith("("))
        self.stdout.write(
            _("Values per key: %(totals)s")
            % {"totals": ", ".join(f"{k}: {n}" for k, n in sorted(totals.items())) or _("none")}
        )
        if unknown:
            raise CommandError(
                _("Values are stored under keys that are not in the ring: %(ids)s. Restore them before use.")
                % {"ids": ", ".join(unknown)}
            )

    def _rotate(self, batch_size: int) -> None:
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        ring = crypto.key_ring()
        algorithm = crypto.configured_algorithm()
        moved = encrypted_columns.rotate(batch_size=batch_size)
        total = sum(moved.values())
        for label, n in moved.items():
            self.stdout.write(f"  {label}: {n}")
        if total:
            # Which key now protects the data is a security-relevant change: it goes into the trail.
            audit.record(
                actor="luoshi keys rotate",
                action="field_keys.rotate",
                object_type="field_keys",
                object_id=ring.current_id,
                object_repr=ring.current_id,
                changes={"key_id": ring.current_id, "algorithm": algorithm, "values": moved},
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("%(n)d values re-encrypted under key %(id)s (%(alg)s).")
                % {"n": total, "id": ring.current_id, "alg": algorithm}
            )
        )
