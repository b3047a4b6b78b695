"""Report fingerprints: the digest of each progress report's normalized text, kept beside the report so
that the evaluation finds copied reports with one GROUP BY instead of comparing texts.

A report is fingerprinted when it is written: the reporting service calls ``report_fingerprint`` in the
transaction that writes the report, and must call it again whenever a report's text is corrected.
``fill_missing`` fingerprints in bulk the reports that have none (a benchmark load, records from before
fingerprints were kept): it reads them by ranges of ids, digests them in Python and writes the digests
with ``COPY`` on PostgreSQL, batched INSERTs on SQLite. The digest is made in Python in both paths, with
the one ``normalize``, so that every digest of the same text agrees.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date

from django.db import connection, transaction
from django.db.models import Exists, Max, Min, OuterRef

from luoshi.evaluation.models import ReportFingerprint
from luoshi.tasks.models import ProgressReport

# Reports read, digested and written per round of ``fill_missing``: bounds the memory a catch-up of
# millions of reports takes.
CHUNK = 50_000
# Rows per executemany on SQLite.
BATCH = 2000

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """Text as compared for copying: full-width folded (NFKC), lower case, no spaces or punctuation."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or "").lower())


def digest(narrative: str, problems: str, next_steps: str) -> tuple[str, int]:
    """The digest of a report's normalized text and the normalized length."""
    text = normalize(" ".join([narrative, problems, next_steps]))
    return hashlib.sha256(text.encode()).hexdigest(), len(text)


def report_fingerprint(report: ProgressReport) -> None:
    """Store (or replace) the fingerprint of ``report`` as its text is now: one upsert."""
    value, length = digest(report.narrative, report.problems, report.next_steps)
    ReportFingerprint.objects.bulk_create(
        [ReportFingerprint(report_id=report.pk, digest=value, length=length)],
        update_conflicts=True,
        unique_fields=["report"],
        update_fields=["digest", "length"],
    )


@transaction.atomic
def fill_missing(*, up_to: date | None = None) -> int:
    """Fingerprint every report (made up to ``up_to``, when given) that has none; returns how many.

    Safe beside writers: a fingerprint written meanwhile by the reporting service wins, the catch-up's
    own for that report is dropped.
    """
    # Every report has at most one fingerprint: as many fingerprints as reports means none is missing,
    # which two counts tell quicker than an anti-join over every report.
    if ReportFingerprint.objects.count() == ProgressReport.objects.count():
        return 0
    bounds = ProgressReport.objects.aggregate(low=Min("pk"), high=Max("pk"))
    missing = ProgressReport.objects.filter(~Exists(ReportFingerprint.objects.filter(report=OuterRef("pk"))))
    if up_to is not None:
        missing = missing.filter(reported_on__lte=up_to)
    write = _copy if connection.vendor == "postgresql" else _insert
    written = 0
    for low in range(bounds["low"], bounds["high"] + 1, CHUNK):
        rows = (
            missing.filter(pk__gte=low, pk__lt=low + CHUNK)
            .order_by()
            .values_list("pk", "narrative", "problems", "next_steps")
        )
        written += write([(pk, *digest(n, p, s)) for pk, n, p, s in rows.iterator(chunk_size=BATCH)])
    return written


def _columns() -> tuple[str, str]:
    table = connection.ops.quote_name(ReportFingerprint._meta.db_table)
    fields = {f.name: f.column for f in ReportFingerprint._meta.concrete_fields}
    names = [fields[name] for name in ("report", "digest", "length")]
    return table, ", ".join(connection.ops.quote_name(n) for n in names)


def _copy(rows: Sequence[tuple[int, str, int]]) -> int:
    """COPY into a scratch table, then one INSERT … ON CONFLICT DO NOTHING into the fingerprints."""
    if not rows:
        return 0
    table, columns = _columns()
    with connection.cursor() as cursor:
        # Dropped at the end of the transaction ``fill_missing`` runs in.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS fingerprint_scratch (LIKE {table}) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE fingerprint_scratch")
        with cursor.cursor.copy(f"COPY fingerprint_scratch ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # Names come from the model, quoted; no values are interpolated.
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM fingerprint_scratch"  # noqa: S608
            " ON CONFLICT DO NOTHING"
        )
        return cursor.rowcount


def _insert(rows: Iterable[tuple[int, str, int]]) -> int:
    table, columns = _columns()
    # Names come from the model, quoted; values are bound parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"  # noqa: S608
    batch = list(rows)
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(batch), BATCH):
            cursor.executemany(sql, batch[start : start + BATCH])
            written += max(cursor.rowcount, 0)
    return written
