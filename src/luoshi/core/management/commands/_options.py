"""Options shared by Luoshi's own commands (the leading underscore keeps Django from listing this module).

``--data-dir`` decides where the SQLite database lives, and settings read it once at start-up, so
``luoshi.cli`` reads it from the command line and puts it in ``LUOSHI_DATA_DIR`` before Django loads.
The commands declare it too, so that it shows in their ``--help``, and check it took effect.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def add_data_dir_argument(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=_(
            "Where the embedded database, uploaded files and keys live (default: LUOSHI_DATA_DIR, or ./var)."
        ),
    )


def check_data_dir(options: dict[str, Any]) -> None:
    """Refuse a ``--data-dir`` that arrived after the settings were loaded (e.g. through ``call_command``)."""
    given = options.get("data_dir")
    if given and Path(given).expanduser().resolve() != Path(settings.DATA_DIR):
        raise CommandError(
            _(
                "--data-dir %(given)s came too late: settings already use %(current)s. Run the command as "
                "`luoshi <command> --data-dir DIR`, or set LUOSHI_DATA_DIR before starting."
            )
            % {"given": given, "current": settings.DATA_DIR}
        )
