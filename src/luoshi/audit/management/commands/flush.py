"""Django's ``flush``, allowed to empty the audit table that triggers otherwise keep append-only.

``flush`` removes all data, and Django's transactional tests run it after each test; the audit table is
part of "all data". Wiping everything is not tampering with the trail (a checkpoint shows the wipe), so
this command lifts the delete refusal for its own transaction only. Defining a command of the same name
in an installed app is Django's documented way to override a built-in one.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from luoshi.audit import triggers


class Command(flush.Command):
    """``manage.py flush`` with the audit table's delete refusal lifted for its transaction."""

    def handle(self, **options: Any) -> None:
        with triggers.allow_wipe(options["database"]):
            super().handle(**options)
