"""``luoshi bench run``: each operation of issue 6 measured through the app and as hand-written SQL.

For each operation (``ops.OPERATIONS``) the app side goes through the real code path (HTTP requests
through Django's handler with the test client for reads, the services for writes) and the floor does the
same work in hand-written SQL on the same connection, in the same run, on the same data. Results give
p50/p95 latency, throughput and app ÷ floor (ratio of the medians). Nothing here asserts a time: the
numbers are for ``docs/performance.md``.
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from luoshi.audit.models import AuditEvent
from luoshi.bench.load import AUDIT_ACTION

Say = Callable[[str], None]


class NotAvailable(Exception):
    """The feature an operation measures is not in this build yet (another part is still being built)."""


@dataclass
class Samples:
    """Latencies of one side of one case, in seconds, and the wall time they took together (which is
    less than their sum when writers run concurrently)."""

    seconds: list[float] = field(default_factory=list)
    # CPU time of the measuring thread for each sample: on a shared machine it shows the work done apart
    # from the time spent waiting for a core (the database server's own CPU is not in it).
    cpu: list[float] = field(default_factory=list)
    wall: float = 0.0
    failures: int = 0

    def timed(self, call: Callable[[], Any]) -> Any:
        started, started_cpu = time.perf_counter(), time.thread_time()
        result = call()
        elapsed = time.perf_counter() - started
        self.cpu.append(time.thread_time() - started_cpu)
        self.seconds.append(elapsed)
        self.wall += elapsed
        return result

    def summary(self) -> dict[str, Any]:
        if not self.seconds:
            return {"n": 0, "failures": self.failures}
        ordered = sorted(self.seconds)
        return {
            "n": len(ordered),
            "p50_ms": round(1000 * statistics.median(ordered), 2),
            "p95_ms": round(1000 * ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
            "per_second": round(len(ordered) / self.wall, 1) if self.wall else None,
            "cpu_p50_ms": round(1000 * statistics.median(self.cpu), 2) if self.cpu else None,
            "failures": self.failures,
        }


@dataclass
class Case:
    """One measured case of an operation (e.g. O5 "district, page 1")."""

    op: str
    name: str
    target: str = ""
    app: Samples = field(default_factory=Samples)
    floor: Samples = field(default_factory=Samples)
    facts: dict[str, Any] = field(default_factory=dict)
    # "ok", or why the case was not measured.
    status: str = "ok"

    def result(self) -> dict[str, Any]:
        app, floor = self.app.summary(), self.floor.summary()
        ratio = None
        if app.get("p50_ms") and floor.get("p50_ms"):
            ratio = round(app["p50_ms"] / floor["p50_ms"], 2)
        return {
            "op": self.op,
            "case": self.name,
            "status": self.status,
            "target": self.target,
            "app": app,
            "floor": floor,
            "ratio": ratio,
            "facts": self.facts,
        }


def parse_ops(text: str) -> list[str]:
    from luoshi.bench.ops import OPERATIONS

    if text.strip().lower() in {"", "all"}:
        return list(OPERATIONS)
    chosen = [part.strip().upper() for part in text.split(",") if part.strip()]
    unknown = [op for op in chosen if op not in OPERATIONS]
    if unknown:
        from django.core.management.base import CommandError

        raise CommandError(f"unknown operation(s) {', '.join(unknown)}; choose among {', '.join(OPERATIONS)}")
    return chosen


def loaded_today() -> date | None:
    """The frozen date of the last dataset loaded (recorded in its audit event)."""
    event = (
        AuditEvent.objects.filter(action=AUDIT_ACTION)
        .order_by("-seq")
        .values_list("changes", flat=True)
        .first()
    )
    if not event or "today" not in event:
        return None
    return date.fromisoformat(event["today"])


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, informational only
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    import os

    return {
        "database": connection.vendor,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": _commit(),
    }


def run(
    *, ops: Iterable[str], repeat: int = 30, today: date | None = None, say: Say = print
) -> dict[str, Any]:
    """Measure ``ops`` and return a report (``format_table`` prints it)."""
    from luoshi.bench import ops as operations

    today = today or loaded_today()
    if today is None:
        from django.core.management.base import CommandError

        raise CommandError(
            "No benchmark dataset is loaded here (run `luoshi bench load DIR` first), or pass --today."
        )
    # The services, lights and sweeps judge by the dataset's frozen date, as its deadlines were made for it.
    settings.LUOSHI_TODAY = today.isoformat()
    # One person asks the same search dozens of times a minute here, which the rate limits (rightly) answer
    # with 429 in production; the benchmark measures the search, not the limit.
    settings.LUOSHI_RATE_LIMITS_ENABLED = False
    context = operations.Context.build(today=today, repeat=repeat)
    say(f"Measuring on {connection.vendor} as of {today}: {context.describe()}")
    cases: list[Case] = []
    for op in ops:
        measure = operations.OPERATIONS[op]
        say(f"{op}: {measure.__doc__.splitlines()[0] if measure.__doc__ else ''}")
        started = time.perf_counter()
        try:
            produced = measure(context)
        except NotAvailable as missing:
            produced = [Case(op=op, name="-", status=f"not available yet: {missing}")]
        except Exception as exc:
            produced = [Case(op=op, name="-", status=f"failed: {type(exc).__name__}: {exc}"[:300])]
        for case in produced:
            cases.append(case)
            say("  " + _line(case.result()))
        say(f"  ({time.perf_counter() - started:.1f} s)")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "today": today.isoformat(),
        "machine": machine(),
        "dataset": context.describe(),
        "results": [c.result() for c in cases],
    }


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def _line(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return f"{row['op']} {row['case']}: {row['status']}"
    app, floor = row["app"], row["floor"]
    facts = "; ".join(f"{k} {v}" for k, v in row["facts"].items())
    return (
        f"{row['op']} {row['case']}: app p50 {_ms(app.get('p50_ms'))} p95 {_ms(app.get('p95_ms'))} ms "
        f"({app.get('per_second') or '-'}/s), floor p50 {_ms(floor.get('p50_ms'))} p95 "
        f"{_ms(floor.get('p95_ms'))} ms, ratio {row['ratio'] if row['ratio'] is not None else '-'}"
        + (f"; {facts}" if facts else "")
    )


def _ratio(app: dict[str, Any], floor: dict[str, Any], key: str) -> str:
    if app.get(key) and floor.get(key):
        return f"{app[key] / floor[key]:.1f}"
    return "-"


def format_table(report: dict[str, Any]) -> str:
    """The results as a Markdown table (the form docs/performance.md keeps). The CPU columns are the
    measuring thread's CPU time: on a busy machine they show the work apart from the wait for a core;
    on PostgreSQL the server's CPU is not in them."""
    head = (
        "| op | case | app p50 ms | app p95 ms | app CPU p50 ms | app ops/s | floor p50 ms | floor p95 ms "
        "| floor CPU p50 ms | app ÷ floor | CPU app ÷ floor | target | notes |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    )
    lines = [head]
    for row in report["results"]:
        app, floor = row["app"], row["floor"]
        if row["status"] != "ok":
            lines.append(
                f"| {row['op']} | {row['case']} |" + " |" * 9 + f" {row['target']} | {row['status']} |"
            )
            continue
        notes = "; ".join(f"{k}: {v}" for k, v in row["facts"].items())
        if app.get("failures") or floor.get("failures"):
            notes += f"; failures app {app.get('failures')}, floor {floor.get('failures')}"
        cells = [
            row["op"],
            row["case"],
            _ms(app.get("p50_ms")),
            _ms(app.get("p95_ms")),
            _ms(app.get("cpu_p50_ms")),
            app.get("per_second") or "-",
            _ms(floor.get("p50_ms")),
            _ms(floor.get("p95_ms")),
            _ms(floor.get("cpu_p50_ms")),
            _ratio(app, floor, "p50_ms"),
            _ratio(app, floor, "cpu_p50_ms"),
            row["target"],
            notes,
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)
