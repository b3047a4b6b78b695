"""PostgreSQL stopped with ``pg_ctl stop -m immediate`` during a load of writes, then started again.

All real processes on this machine: a throwaway PostgreSQL cluster of the test's own (``initdb`` in a
temporary directory, a free port), holding a copy of the test database with a small city, and
``luoshi serve`` against it. Threads send progress reports through the API. Mid-load the cluster is
stopped the hard way (as a crash would), and started again a few seconds later. Then:

- every request during the outage got a 503 with Retry-After, quickly (no hanging, no 500);
- the server recovered by itself, without a restart;
- every report answered 201 is in the database, and no report lacks its audit event (nor its version
  step on the task): the transaction wrote all of it or nothing;
- ``luoshi audit verify`` passes.

Runs on the PostgreSQL pass of CI only; the server and the cluster are stopped by their own ids.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from luoshi.api import services as tokens
from luoshi.tasks import services, workflow
from tests.conftest import City
from tests.reliability.conftest import ROOT, clean_env, free_port

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WRITERS = 6
# Load before the stop and after the recovery, beyond the first answered writes.
BEFORE_SECONDS = 1.0
OUTAGE_SECONDS = 3.0
AFTER_SECONDS = 1.0
# A request while the database is down must be answered within this many seconds.
QUICK_SECONDS = 2.0


def pg_program(name: str) -> str | None:
    """PostgreSQL's server programs are often outside PATH (Debian: /usr/lib/postgresql/N/bin)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster under ``root``, listening on 127.0.0.1:``port``."""

    root: Path
    port: int
    as_owner: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/luoshi"

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [*self.as_owner, *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, f"{args[0]} failed: {result.stdout}{result.stderr}"

    def init(self) -> None:
        initdb = pg_program("initdb")
        assert initdb is not None
        self._run(
            initdb,
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )

    def start(self) -> None:
        pg_ctl = pg_program("pg_ctl")
        assert pg_ctl is not None
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            # A crash of the server process is what is tested, not of the machine: the OS keeps what
            # was written, so syncing to disk would only slow the test down.
            "-c fsync=off -c full_page_writes=off -c max_connections=50"
        )
        self._run(
            pg_ctl,
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        )

    def stop_immediately(self) -> None:
        pg_ctl = pg_program("pg_ctl")
        assert pg_ctl is not None
        self._run(pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None

    def kill(self) -> None:
        """Teardown: the postmaster by its own process id (SIGQUIT is PostgreSQL's immediate stop)."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="luoshi", autocommit=True
        )


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if connection.vendor != "postgresql":
        pytest.skip("the database outage test runs on the PostgreSQL pass")
    if pg_program("initdb") is None or pg_program("pg_ctl") is None:
        pytest.skip("initdb and pg_ctl are not installed")
    as_owner: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="luoshi-pg-"))
    if os.geteuid() == 0:
        # The server refuses to run as root: the cluster belongs to the postgres account.
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no postgres account to own the cluster")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    made = Cluster(root=root, port=free_port(), as_owner=as_owner)
    try:
        made.init()
        made.start()
        yield made
    finally:
        made.kill()
        shutil.rmtree(root, ignore_errors=True)


def copy_test_database(cluster: Cluster) -> None:
    """The test database (schema, data, audit triggers) into the cluster: quicker than migrating."""
    with psycopg.connect(
        host="127.0.0.1", port=cluster.port, user="postgres", dbname="postgres", autocommit=True
    ) as admin:
        admin.execute("CREATE DATABASE luoshi ENCODING 'UTF8' TEMPLATE template0")
    db = settings.DATABASES["default"]
    source_env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    dump = subprocess.run(
        [
            pg_program("pg_dump") or "pg_dump",
            "--no-owner",
            "--no-privileges",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        capture_output=True,
        env=source_env,
        timeout=60,
        check=True,
    )
    load = subprocess.run(
        [
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "-d",
            "luoshi",
        ],
        input=dump.stdout,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert load.returncode == 0, load.stderr.decode()[-2000:]


@dataclass
class Server:
    """``luoshi serve`` in its own process group, so that its Granian workers stop with it."""

    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "luoshi.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    "1",
                    "--threads",
                    str(WRITERS + 2),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None


@dataclass
class Answer:
    writer: int
    kind: str
    started: float
    finished: float
    status: int
    narrative: str = ""
    retry_after: str | None = None
    report_id: int | None = None


def call(
    base: str, secret: str, method: str, path: str, form: dict[str, str] | None = None
) -> tuple[int, dict, str | None]:
    body = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(base + path, data=body, method=method)  # noqa: S310 (http only)
    request.add_header("Authorization", f"Bearer {secret}")
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 (our own server)
            return response.status, json.loads(response.read() or b"{}"), response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {"raw": raw[:200].decode(errors="replace")}
        return error.code, payload, error.headers.get("Retry-After")
    except OSError:
        return 0, {}, None


def writer(
    base: str, secret: str, number: int, task_id: int, stop: threading.Event, out: list[Answer]
) -> None:
    """Read the task's version, report with it; again and again until told to stop."""
    count = 0
    while not stop.is_set():
        started = time.monotonic()
        status, body, retry = call(base, secret, "GET", f"/api/v1/tasks/{task_id}")
        out.append(Answer(number, "read", started, time.monotonic(), status, retry_after=retry))
        if status != 200:
            time.sleep(0.05)
            continue
        count += 1
        narrative = f"writer {number} report {count}"
        started = time.monotonic()
        status, body, retry = call(
            base,
            secret,
            "POST",
            f"/api/v1/tasks/{task_id}/reports",
            {"version": str(body["version"]), "narrative": narrative, "progress": str(count % 100)},
        )
        out.append(
            Answer(
                number,
                "write",
                started,
                time.monotonic(),
                status,
                narrative,
                retry,
                body.get("id") if status == 201 else None,
            )
        )


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _written(answers: list[Answer], *, since: float) -> int:
    return sum(1 for a in list(answers) if a.kind == "write" and a.status == 201 and a.started >= since)


def test_writes_survive_an_immediate_database_stop(city: City, cluster: Cluster, tmp_path: Path) -> None:
    task_ids = []
    for number in range(WRITERS):
        created = services.task_create(
            actor=city.zhao,
            assigning_org=city.government,
            lead_org=city.tiexi,
            title=f"负载任务{number}",
            due_on=date(2030, 6, 28),
        )
        assigned = workflow.task_assign(actor=city.zhao, task=created, version=created.version)
        task_ids.append(
            workflow.task_acknowledge(actor=city.wang, task=assigned, version=assigned.version).pk
        )
    _token, secret = tokens.token_create(user=city.wang, name="load")
    copy_test_database(cluster)

    env = clean_env(tmp_path)
    env.update(DATABASE_URL=cluster.url, LUOSHI_DB_CONNECT_TIMEOUT="1", LUOSHI_DB_RETRY_AFTER_SECONDS="2")
    with cluster.connect() as db:
        start_versions = dict(db.execute("SELECT id, version FROM tasks_task").fetchall())
    server = Server(env=env, port=free_port(), log=tmp_path / "serve.log")
    base = f"http://127.0.0.1:{server.port}"
    server.start()
    try:
        wait_for(
            lambda: call(base, secret, "GET", f"/api/v1/tasks/{task_ids[0]}")[0] == 200,
            "luoshi serve to answer",
        )
        answers: list[Answer] = []
        stop = threading.Event()
        threads = [
            threading.Thread(target=writer, args=(base, secret, n, task_ids[n], stop, answers), daemon=True)
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        # Writes are under way (and some answered) when the database goes.
        wait_for(lambda: _written(answers, since=0) >= WRITERS, "the first writes")
        time.sleep(BEFORE_SECONDS)
        cluster.stop_immediately()
        down_from = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        down_until = time.monotonic()
        cluster.start()
        up_at = time.monotonic()
        wait_for(lambda: _written(answers, since=up_at) >= WRITERS, "writes after the restart")
        time.sleep(AFTER_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        log = server.log.read_text(errors="replace")[-3000:]
    finally:
        server.stop()

    assert not [a for a in answers if a.status in (0, 500)], log
    during = [a for a in answers if a.started >= down_from and a.finished <= down_until]
    assert during, "no request was sent while the database was down"
    assert {a.status for a in during} == {503}
    assert all(a.retry_after == "2" for a in during)
    slowest = max(a.finished - a.started for a in during)
    assert slowest < QUICK_SECONDS, f"a request took {slowest:.2f} s while the database was down"
    assert [a for a in answers if a.kind == "write" and a.started < down_from and a.status == 201]
    recovered = [a for a in answers if a.kind == "write" and a.started >= up_at and a.status == 201]
    assert recovered, "no write succeeded after the database came back"

    with cluster.connect() as db:
        stored = dict(db.execute("SELECT narrative, id FROM tasks_progressreport").fetchall())
        missing_event = db.execute(
            "SELECT r.id FROM tasks_progressreport r WHERE NOT EXISTS (SELECT 1 FROM audit_auditevent e "
            "WHERE e.action = 'task.report' AND (e.changes->>'report')::bigint = r.id)"
        ).fetchall()
        event_without_report = db.execute(
            "SELECT e.seq FROM audit_auditevent e WHERE e.action = 'task.report' AND NOT EXISTS "
            "(SELECT 1 FROM tasks_progressreport r WHERE r.id = (e.changes->>'report')::bigint)"
        ).fetchall()
        versions = dict(db.execute("SELECT id, version FROM tasks_task").fetchall())
        reports_per_task = dict(
            db.execute("SELECT task_id, COUNT(*) FROM tasks_progressreport GROUP BY task_id").fetchall()
        )
    acknowledged = {a.narrative: a.report_id for a in answers if a.kind == "write" and a.status == 201}
    assert {n: stored.get(n) for n in acknowledged} == acknowledged
    assert missing_event == []
    assert event_without_report == []
    for task_id in task_ids:
        assert versions[task_id] == start_versions[task_id] + reports_per_task.get(task_id, 0)

    verified = subprocess.run(
        [sys.executable, "-m", "luoshi.cli", "audit", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
