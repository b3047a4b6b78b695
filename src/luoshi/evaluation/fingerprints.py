"""Report fingerprints: the digest of each progress report's normalized text, kept beside the report so
that the evaluation finds copied reports with one GROUP BY instead of comparing texts.

A report is fingerprinted when it is written: the reporting service calls ``report_fingerprint`` in the
transaction that writes the report, and must call it again whenever a report's text is corrected.
``fill_missing`` fingerprints in bulk the reports that have none (a benchmark load, records from before
fingerprints were kept): it reads them by ranges of ids, digests them in Python and writes the digests
with ``core.bulk.copy_new_rows`` (``COPY`` on PostgreSQL, batched INSERTs on SQLite). The digest is made
in Python in both paths, with the one ``normalize``, so that every digest of the same text agrees.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date

from django.db import connection, transaction
from django.db.models import Exists, Max, Min, OuterRef

from luoshi.core import bulk
from luoshi.evaluation.models import ReportFingerprint
from luoshi.tasks.models import ProgressReport

# Reports read, digested and written per round of ``fill_missing``: bounds the memory a catch-up of
# millions of reports takes.
CHUNK = 50_000
# Reports read per round trip.
BATCH = 2000
COLUMNS = ("report_id", "digest", "length")

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """Text as compared for copying: full-width folded (NFKC), lower case, no spaces or punctuation."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or "").lower())


def digest(narrative: str, problems: str, next_steps: str) -> tuple[str, int]:
    """The digest of a report's normalized text and the normalized length."""
    text = normalize(" ".join([narrative, problems, next_steps]))
    return hashlib.sha256(text.encode()).hexdigest(), len(text)


def report_fingerprint(report: ProgressReport) -> None:
    """Store (or replace) the fingerprint of ``report`` as its text is now: one upsert, written out (it
    runs with every report, and the ORM's ``bulk_create(update_conflicts=True)`` cost more to build)."""
    value, length = digest(report.narrative, report.problems, report.next_steps)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ReportFingerprint._meta.db_table} (report_id, digest, length)"  # noqa: S608 -- the model's table
            " VALUES (%s, %s, %s)"
            " ON CONFLICT (report_id) DO UPDATE SET digest = EXCLUDED.digest, length = EXCLUDED.length",
            [report.pk, value, length],
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
    written = 0
    for low in range(bounds["low"], bounds["high"] + 1, CHUNK):
        rows = (
            missing.filter(pk__gte=low, pk__lt=low + CHUNK)
            .order_by()
            .values_list("pk", "narrative", "problems", "next_steps")
        )
        written += bulk.copy_new_rows(
            ReportFingerprint,
            COLUMNS,
            [(pk, *digest(n, p, s)) for pk, n, p, s in rows.iterator(chunk_size=BATCH)],
        )
    return written
