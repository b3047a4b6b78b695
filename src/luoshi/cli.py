"""The ``luoshi`` command.

Every subcommand except ``manage`` is a Django management command of the same name (``luoshi demo`` runs
``luoshi/demo/management/commands/demo.py``); ``luoshi manage …`` passes anything to Django's own
command line. This module only prepares the environment before Django loads and dispatches:

- ``DJANGO_SETTINGS_MODULE`` points at Luoshi's settings unless the caller chose others;
- ``--data-dir DIR`` is put in ``LUOSHI_DATA_DIR``, because the settings read the data directory (and so
  the SQLite database path) once, when they load.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

SETTINGS_MODULE = "luoshi.config.settings"

# name → one line for ``luoshi --help``. The commands describe themselves in ``luoshi <name> --help``.
COMMANDS: dict[str, str] = {
    "demo": "Try Luoshi on this computer: database, demo city and web app in one command.",
    "serve": "Serve Luoshi in production with the Granian HTTP server.",
    "createadmin": "Create an administrator account (the first one of a new installation).",
    "audit": "Verify the hash chain of the audit trail, or sign a checkpoint of it.",
    "evidence": "Find evidence files without rows (orphans), or rows without their files.",
    "search": "Rebuild the search index of titles, clauses and reports (after a restore or an upgrade).",
    "summaries": "Check the cockpit's summary tables against the tasks and reports, or rebuild them.",
    "rollup": "Check the stored progress and lights of every task against a recomputation, or repair them.",
    "sweep": "Run the supervision sweep now: lights, reminders, the escalation ladder (idempotent).",
    "worker": "Run the background worker with its scheduler: notification delivery and the daily sweep.",
    "bench": "Generate, load and measure the province-scale benchmark (generate, load, run, drafting).",
    "import": "Import a task list from an Excel workbook under a directive, all or nothing.",
    "evaluate": "Score every unit and person for a period from the record and store the league table.",
    "bulletin": "Generate a supervision bulletin (.docx, .xlsx or .pdf) for a unit and a period.",
    "keys": "Field encryption keys: generate one, count values per key, or rotate to the current key.",
    "backup": "Back up the database, uploaded files and an audit checkpoint, consistent with each other.",
    "restore": "Restore a backup onto an empty installation, then verify file checksums and the audit chain.",
    "duties": "List, grant or revoke the system, security and audit administrator duties.",
    "manage": "Run any Django management command, e.g. `luoshi manage migrate`.",
}
# Commands that declare --data-dir themselves (so it shows in their --help); for the others the option
# is taken off the command line here, since Django's commands would reject it.
DECLARE_DATA_DIR = {"demo", "serve", "createadmin"}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: luoshi <command> [options]",
        "",
        "Luoshi (落实) runs a closed loop on government work: directives, tasks at every level,",
        "progress, lights, urging, verified closure.",
        "",
        "commands:",
        *(f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()),
        "",
        "options:",
        "  -h, --help     show this message and exit",
        "  --version      show the version and exit",
        "",
        "`luoshi <command> --help` describes a command's options. With no options, `luoshi demo` just works.",
    ]
    return "\n".join(lines)


def take_data_dir(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """The value of ``--data-dir DIR`` or ``--data-dir=DIR`` (the last wins), and the other arguments."""
    value: str | None = None
    rest: list[str] = []
    items = iter(args)
    for arg in items:
        if arg == "--":
            rest.append(arg)
            rest.extend(items)
            break
        if arg == "--data-dir":
            following = next(items, None)
            if following is None:
                rest.append(arg)  # left for the command's parser to report
            else:
                value = following
        elif arg.startswith("--data-dir="):
            value = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return value, rest


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(usage())
        return 0
    if args[0] == "help":
        if len(args) == 1:
            print(usage())
            return 0
        args = [args[1], "--help"]
    if args[0] == "--version":
        print(f"luoshi {metadata.version('luoshi')}")
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"luoshi: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2

    data_dir, rest_without = take_data_dir(rest)
    if data_dir is not None:
        os.environ["LUOSHI_DATA_DIR"] = str(Path(data_dir).expanduser().resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)

    from django.core.management import execute_from_command_line

    try:
        if name == "manage":
            # The program name shows in Django's usage lines: "usage: luoshi manage migrate …".
            execute_from_command_line(["luoshi manage", *rest_without])
        else:
            execute_from_command_line(["luoshi", name, *(rest if name in DECLARE_DATA_DIR else rest_without)])
    except KeyboardInterrupt:
        # Ctrl-C while preparing (the server itself stops cleanly on its own): no traceback.
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `luoshi demo --no-serve | head`): stop quietly, as Unix tools do.
        # Python flushes stdout again at exit, so it is pointed at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
