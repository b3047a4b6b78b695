"""``luoshi worker``: the Celery worker with its beat, delivering notifications and running the sweep."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connections
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _(
        "Run the background worker with its scheduler (Celery with beat, Redis broker): it delivers "
        "notifications every few seconds and runs the daily supervision sweep."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-beat",
            action="store_true",
            help=_("Do not run the scheduler in this worker (when another worker runs it)."),
        )
        parser.add_argument("--concurrency", type=int, help=_("Worker processes or threads (default: CPUs)."))
        parser.add_argument(
            "--pool", choices=["prefork", "threads", "solo"], help=_("Celery pool (default prefork).")
        )
        parser.add_argument("--loglevel", default="INFO", help=_("Log level (default INFO)."))

    def handle(self, *args: Any, **options: Any) -> None:
        from luoshi.config.celery import app

        # No mingle or gossip: workers share nothing but the database, and both slow the start.
        argv = ["worker", f"--loglevel={options['loglevel']}", "--without-mingle", "--without-gossip"]
        if not options["no_beat"]:
            argv.append("--beat")
        if options["concurrency"]:
            argv.append(f"--concurrency={options['concurrency']}")
        if options["pool"]:
            argv.append(f"--pool={options['pool']}")
        # Pool processes are forked from this one: they must open their own database connections.
        connections.close_all()
        app.worker_main(argv)
