"""``luoshi demo``: the whole of Luoshi on one computer, with the demo city loaded, in one command."""

from __future__ import annotations

import time
import unicodedata
from argparse import ArgumentParser
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from luoshi.core import scheduler
from luoshi.core.errors import ValidationFailed
from luoshi.core.management.commands._options import add_data_dir_argument, check_data_dir
from luoshi.core.management.commands.serve import (
    DEFAULT_PORT,
    DEFAULT_THREADS,
    browser_url,
    ensure_port_free,
    positive_int,
    run_granian,
)
from luoshi.demo import city, work
from luoshi.organizations import services as orgs
from luoshi.organizations.models import User
from luoshi.tasks.models import Light, TaskStatus

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Command(BaseCommand):
    help = _(
        "Run the demo: create and migrate the database, load the demo city the first time (or with "
        "--reset), print the demo accounts, and serve the app until Ctrl-C."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help=_("Address to listen on (default 127.0.0.1).")
        )
        parser.add_argument(
            "--port", type=positive_int, default=DEFAULT_PORT, help=_("Port to listen on (default 8000).")
        )
        add_data_dir_argument(parser)
        parser.add_argument(
            "--admin-password",
            metavar="PASSWORD",
            help=_("Password of the admin account (default: the shared demo password)."),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=_("Delete the demo database and start afresh (on PostgreSQL only with --force)."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("With --reset on PostgreSQL: empty every table of that database."),
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help=_("Prepare the database and print the accounts, then exit without serving (for CI)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check_data_dir(options)
        host, port = options["host"], options["port"]
        if not options["no_serve"]:
            # Before any work, so that a second demo on the same port fails at once.
            ensure_port_free(host, port)
        if options["reset"]:
            try:
                city.reset_database(force=options["force"])
            except city.DemoError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(_("Deleted the demo data; starting afresh."))

        self.stdout.write(_("Database: %(name)s") % {"name": settings.DATABASES["default"]["NAME"]})
        call_command("migrate", interactive=False, verbosity=0)
        has_accounts, admin_password = self._load(options["admin_password"])
        if has_accounts:
            self.stdout.write("")
            self._print_accounts(city.demo_accounts(admin_password=admin_password))
        url = browser_url(host, port)
        if options["no_serve"]:
            self.stdout.write("")
            self.stdout.write(_("Ready. `luoshi demo` serves it at %(url)s") % {"url": url})
            return
        if host not in LOOPBACK and set(settings.ALLOWED_HOSTS) <= LOOPBACK | {"testserver"}:
            self.stdout.write(
                _(
                    "Other computers reach the demo by this computer's address: list that address in "
                    "ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=192.0.2.10,127.0.0.1) or Django answers 400."
                )
            )
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Open %(url)s — Ctrl-C stops the demo.") % {"url": url}))
        # No broker in the demo: a thread of this process delivers notifications and runs the sweep,
        # starting once the server has forked its worker (see luoshi.core.scheduler).
        scheduler.start_in_process(scheduler.standard_jobs(), start_delay=scheduler.DEMO_START_DELAY)
        # One worker process is plenty for the few people who try a demo on one computer.
        run_granian(host=host, port=port, workers=1, threads=DEFAULT_THREADS)
        self.stdout.write(_("The demo has stopped."))

    def _load(self, admin_password: str | None) -> tuple[bool, str | None]:
        """Load the city into an empty database.

        Returns whether the demo accounts exist, and the admin's password when it is known (None when
        it was set with --admin-password on an earlier run).
        """
        if city.is_loaded():
            admin = User.objects.filter(username=city.ADMIN_USERNAME).first()
            if admin is None:
                return True, None
            if admin_password:
                try:
                    orgs.person_set_password(actor=None, person=admin, password=admin_password)
                except ValidationFailed as exc:
                    raise CommandError(_validation_text(exc)) from exc
                self.stdout.write(_("The demo city is loaded already; the admin password is changed."))
                return True, admin_password
            self.stdout.write(_("The demo city is loaded already (--reset starts afresh)."))
            return True, (city.DEMO_PASSWORD if admin.check_password(city.DEMO_PASSWORD) else None)
        if city.has_organizations():
            self.stdout.write(
                _(
                    "This database holds organisations that are not the demo city, so the demo city was "
                    "not loaded. Use another --data-dir, or --reset to delete this database."
                )
            )
            return False, None
        started = time.monotonic()
        # One transaction: a failure half-way leaves an empty database, not half a demo.
        try:
            with transaction.atomic():
                built = city.build_city(admin_password=admin_password or city.DEMO_PASSWORD)
                city_seconds = time.monotonic() - started
                loaded = work.build_work(built)
        except city.DemoError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Loaded the demo city: %(units)s units and %(people)s people in %(seconds).1f s.")
            % {"units": len(built.units), "people": len(built.people), "seconds": city_seconds}
        )
        self._print_work(loaded)
        return True, built.admin_password

    def _print_work(self, loaded: work.DemoWork) -> None:
        self.stdout.write(
            _(
                "Loaded the demo work: %(directives)s directives with %(clauses)s clauses (%(open)s not yet "
                "decomposed), %(tasks)s tasks, %(reports)s progress reports and %(files)s evidence files "
                "in %(seconds).1f s."
            )
            % {
                "directives": loaded.directives,
                "clauses": loaded.clauses,
                "open": loaded.undecomposed,
                "tasks": loaded.tasks,
                "reports": loaded.reports,
                "files": loaded.evidence,
                "seconds": loaded.seconds,
            }
        )
        states = ", ".join(
            f"{label} {loaded.by_status[value]}"
            for value, label in TaskStatus.choices
            if value in loaded.by_status
        )
        lights = ", ".join(
            f"{label} {loaded.by_light[value]}" for value, label in Light.choices if value in loaded.by_light
        )
        self.stdout.write(_("Tasks by state: %(states)s.") % {"states": states})
        self.stdout.write(_("Tasks by light: %(lights)s.") % {"lights": lights})

    def _print_accounts(self, accounts: Sequence[city.DemoAccount]) -> None:
        self.stdout.write(
            self.style.MIGRATE_HEADING(_("Demo accounts (the personas of the scenarios first):"))
        )
        header = (_("username"), _("name"), _("unit"), _("role"), _("password"))
        rows = [(a.username, a.name, a.unit, a.role, a.password) for a in accounts]
        widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
        rule = "  ".join("─" * w for w in widths)
        self.stdout.write(_format_row(header, widths))
        self.stdout.write(rule)
        for index, (account, row) in enumerate(zip(accounts, rows, strict=True)):
            if index and accounts[index - 1].persona and not account.persona:
                self.stdout.write(rule)
            self.stdout.write(_format_row(row, widths))


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _format_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = [cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths, strict=True)]
    return "  ".join(padded).rstrip()


def _validation_text(exc: ValidationFailed) -> str:
    return " ".join([str(exc.message), *(m for messages in exc.fields.values() for m in messages)])
