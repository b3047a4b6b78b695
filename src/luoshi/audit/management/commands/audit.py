"""``luoshi audit verify [--checkpoint FILE]`` and ``luoshi audit checkpoint FILE``.

Exit status 0 when the trail is intact (or the checkpoint was written), 1 when it is broken, with the first
broken event (sequence number and object) named on standard error. Run ``checkpoint`` regularly (e.g.
nightly from cron) and keep the files away from the database server; ``verify --checkpoint`` with the
latest one then also catches events deleted from the end of the trail.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from luoshi.audit import triggers
from luoshi.audit.checkpoints import CheckpointError
from luoshi.audit.verify import ChainBroken, verify_chain, write_checkpoint


class Command(BaseCommand):
    """Check the audit trail's hash chain, or write a signed checkpoint of its head."""

    help = "Check the audit trail's hash chain, or write a signed checkpoint of its head."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,checkpoint}")
        verify = subcommands.add_parser(
            "verify",
            help=_("Walk the hash chain; exit 1 naming the first broken event."),
            description=_(
                "Recompute every event's hash and check that each links to the one before it, without "
                "gaps. Exit status 0 when the trail is intact, 1 when it is not."
            ),
        )
        verify.add_argument(
            "--checkpoint",
            type=Path,
            metavar="FILE",
            help=_("Also check against this signed checkpoint, which catches events removed from the end."),
        )
        checkpoint = subcommands.add_parser(
            "checkpoint",
            help=_("Verify the chain, then write its head (count and hash), signed, to FILE."),
            description=_(
                "Write the number of events and the newest event's hash to FILE, signed with the key in "
                "LUOSHI_AUDIT_KEY or LUOSHI_AUDIT_KEY_FILE (created on first use). Keep the file away "
                "from the database server."
            ),
        )
        checkpoint.add_argument("file", type=Path, metavar="FILE", help=_("Where to write the checkpoint."))

    def handle(self, *args: Any, **options: Any) -> None:
        missing = triggers.missing_triggers()
        if missing:
            self.stderr.write(
                self.style.WARNING(
                    _("Warning: the triggers that keep the trail append-only are missing: %(names)s.")
                    % {"names": ", ".join(sorted(missing))}
                )
            )
        if options["subcommand"] == "verify":
            self._verify(options["checkpoint"])
        else:
            self._checkpoint(options["file"])

    def _verify(self, checkpoint: Path | None) -> None:
        result = verify_chain(checkpoint=checkpoint)
        if not result.ok:
            self._fail(result.message)
        self.stdout.write(self.style.SUCCESS(result.message))

    def _checkpoint(self, path: Path) -> None:
        try:
            written = write_checkpoint(path)
        except (ChainBroken, CheckpointError) as exc:
            self._fail(str(exc.message))
        self.stdout.write(
            self.style.SUCCESS(
                _("Checkpoint written to %(path)s: %(count)d events, head #%(seq)d (%(algorithm)s %(hash)s).")
                % {
                    "path": path,
                    "count": written.count,
                    "seq": written.head_seq,
                    "algorithm": written.algorithm,
                    "hash": written.head_hash,
                }
            )
        )

    def _fail(self, message: str) -> NoReturn:
        # Written here rather than raised as CommandError, so the message stands alone on stderr and the
        # exit status is 1 both from the shell and through call_command (as SystemExit).
        self.stderr.write(message)
        sys.exit(1)
