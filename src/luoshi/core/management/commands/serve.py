"""``luoshi serve``: the production HTTP server (Granian, see docs/decisions/0001-http-server.md)."""

from __future__ import annotations

import os
import socket
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from luoshi.core.management.commands._options import add_data_dir_argument, check_data_dir

WSGI_TARGET = "luoshi.config.wsgi:application"
DEFAULT_PORT = 8000
# Threads per worker process: Django views spend much of their time waiting on the database, so a few
# threads keep a worker busy while one waits; each thread holds its own database connection.
DEFAULT_THREADS = 4
# Seconds a worker gets to finish its requests after Ctrl-C or SIGTERM before it is killed.
KILL_TIMEOUT = 10


def default_workers() -> int:
    """One worker process per CPU core: Python runs one thread at a time in each process."""
    return os.cpu_count() or 1


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def ensure_port_free(host: str, port: int) -> None:
    """Fail early, with a clear message, when another program already listens on ``host:port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":
            # A port left in TIME_WAIT by a server that just stopped is free for a new listener; on
            # Windows this option means something else (sharing a port in use), so it is left out there.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise CommandError(
                _(
                    "Cannot listen on %(host)s:%(port)s (%(reason)s). Is Luoshi already running there? "
                    "Choose another port with --port."
                )
                % {"host": host, "port": port, "reason": exc.strerror or exc}
            ) from exc


def browser_url(host: str, port: int) -> str:
    """The address to open in a browser: a wildcard listen address is reached through the loopback."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "[::]": "[::1]"}.get(host, host)  # noqa: S104
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def unapplied_migrations() -> int:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def run_granian(*, host: str, port: int, workers: int, threads: int, access_log: bool = False) -> None:
    """Serve the WSGI application with Granian until Ctrl-C or SIGTERM, then stop the workers cleanly.

    Granian's main process handles the signals: it asks every worker to finish its requests, waits up
    to ``KILL_TIMEOUT`` seconds, and returns here.
    """
    from granian.constants import Interfaces
    from granian.server import Server

    # Worker processes are forked from this one on Linux: a database connection opened here must not be
    # shared with them, so every connection is closed first and each worker opens its own.
    connections.close_all()
    # Outside production, static files come straight from the installed packages (WHITENOISE_USE_FINDERS);
    # WhiteNoise still warns in every worker when the collected-files directory is missing, so it is made.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    server = Server(
        WSGI_TARGET,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        log_access=access_log,
        # A worker that crashes is replaced instead of taking the whole server down.
        respawn_failed_workers=True,
        workers_kill_timeout=KILL_TIMEOUT,
    )
    server.serve()


class Command(BaseCommand):
    help = _(
        "Serve Luoshi over HTTP with the Granian server: several worker processes, each with a few "
        "threads. Put it behind a reverse proxy that terminates HTTPS."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help=_("Address to listen on (default 127.0.0.1; 0.0.0.0 for all)."),
        )
        parser.add_argument(
            "--port", type=positive_int, default=DEFAULT_PORT, help=_("Port to listen on (default 8000).")
        )
        parser.add_argument(
            "--workers",
            type=positive_int,
            default=default_workers(),
            help=_("Worker processes (default: one per CPU core, here %(default)s)."),
        )
        parser.add_argument(
            "--threads",
            type=positive_int,
            default=DEFAULT_THREADS,
            help=_("Threads per worker process (default %(default)s)."),
        )
        parser.add_argument("--access-log", action="store_true", help=_("Log every request."))
        add_data_dir_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        check_data_dir(options)
        pending = unapplied_migrations()
        if pending:
            self.stderr.write(
                _(
                    "Warning: %(count)s database migrations are not applied yet; "
                    "run `luoshi manage migrate` before serving."
                )
                % {"count": pending}
            )
        if settings.PRODUCTION and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
            raise CommandError(
                _(
                    "Static files are not collected in %(root)s. Run `luoshi manage collectstatic --noinput` "
                    "first (again after every upgrade)."
                )
                % {"root": settings.STATIC_ROOT}
            )
        ensure_port_free(options["host"], options["port"])
        self.stdout.write(
            _("Serving Luoshi at %(url)s with %(workers)s workers × %(threads)s threads (Ctrl-C stops).")
            % {
                "url": browser_url(options["host"], options["port"]),
                "workers": options["workers"],
                "threads": options["threads"],
            }
        )
        run_granian(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=options["threads"],
            access_log=options["access_log"],
        )
