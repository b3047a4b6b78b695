"""``luoshi audit verify [--checkpoint FILE]``, ``luoshi audit checkpoint FILE`` and ``luoshi audit purge``.

Exit status 0 when the trail is intact (or the checkpoint was written), 1 when it is broken, with the first
broken event (sequence number and object) named on standard error. Run ``checkpoint`` regularly (e.g.
nightly from cron) and keep the files away from the database server; ``verify --checkpoint`` with the
latest one then also catches events deleted from the end of the trail. Run ``purge`` daily (the worker's
scheduler does) to delete the events older than ``LUOSHI_AUDIT_RETENTION_DAYS`` (see
``luoshi.audit.retention``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from luoshi.audit import retention, triggers
from luoshi.audit.checkpoints import CheckpointError
from luoshi.audit.verify import ChainBroken, verify_chain, write_checkpoint


class Command(BaseCommand):
    """Check the audit trail's hash chain, or write a signed checkpoint of its head."""

    help = "Check the audit trail's hash chain, or write a signed checkpoint of its head."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{verify,checkpoint,purge}"
        )
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
        purge = subcommands.add_parser(
            "purge",
            help=_("Delete the events older than the retention, after signing a checkpoint at the cut."),
            description=_(
                "Verify the chain, sign a checkpoint at the newest event past the retention "
                "(LUOSHI_AUDIT_RETENTION_DAYS, at least 185 days), write it to the checkpoint directory, "
                "then delete the events up to it and record the purge. The trail still verifies from the "
                "first kept event."
            ),
        )
        purge.add_argument(
            "--days",
            type=int,
            help=_("Keep this many days instead of LUOSHI_AUDIT_RETENTION_DAYS (185 or more)."),
        )
        purge.add_argument(
            "--checkpoint-dir",
            type=Path,
            metavar="DIR",
            help=_("Where to write the checkpoint of the cut (default LUOSHI_AUDIT_CHECKPOINT_DIR)."),
        )
        purge.add_argument(
            "--dry-run", action="store_true", help=_("Only say which events would be deleted.")
        )

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
        elif options["subcommand"] == "purge":
            self._purge(options["days"], options["checkpoint_dir"], dry_run=options["dry_run"])
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

    def _purge(self, days: int | None, checkpoint_dir: Path | None, *, dry_run: bool) -> None:
        try:
            if dry_run:
                todo = retention.plan(days=days)
                self.stdout.write(self._describe(todo, deleted=None))
                return
            done = retention.purge_expired(days=days, checkpoint_dir=checkpoint_dir)
        except (retention.RetentionTooShort, ChainBroken, CheckpointError) as exc:
            self._fail(str(exc.message))
        message = self._describe(done.plan, deleted=done.deleted)
        if done.checkpoint_path is not None:
            message += " " + _("Checkpoint of the cut: %(path)s.") % {"path": done.checkpoint_path}
        self.stdout.write(self.style.SUCCESS(message))

    def _describe(self, todo: retention.PurgePlan, *, deleted: int | None) -> str:
        when = todo.cutoff.isoformat(timespec="seconds")
        if todo.count == 0:
            return _("No audit event is older than %(date)s; nothing to purge.") % {"date": when}
        values = {"count": todo.count, "first": todo.first_seq, "last": todo.through_seq, "date": when}
        if deleted is None:
            return _("%(count)d events (#%(first)d to #%(last)d) are older than %(date)s.") % values
        return _("Purged %(count)d events (#%(first)d to #%(last)d) older than %(date)s.") % (
            values | {"count": deleted}
        )

    def _fail(self, message: str) -> NoReturn:
        # Written here rather than raised as CommandError, so the message stands alone on stderr and the
        # exit status is 1 both from the shell and through call_command (as SystemExit).
        self.stderr.write(message)
        sys.exit(1)
