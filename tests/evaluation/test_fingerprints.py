"""Report fingerprints: written with the report, replaced when its text changes, and filled in bulk for
reports that have none, with the same digest on every path."""

from __future__ import annotations

from datetime import date

from luoshi.evaluation import engine, fingerprints
from luoshi.evaluation.models import ReportFingerprint
from luoshi.tasks import reporting
from luoshi.tasks.models import ProgressReport
from tests.evaluation.conftest import Quarter


def _expected(report: ProgressReport) -> tuple[str, int]:
    return engine.fingerprint(
        {"narrative": report.narrative, "problems": report.problems, "next_steps": report.next_steps}
    )


def _stored(report: ProgressReport) -> tuple[str, int]:
    row = ReportFingerprint.objects.get(report_id=report.pk)
    return row.digest, row.length


def test_a_report_written_through_the_service_is_fingerprinted(quarter: Quarter) -> None:
    city, task = quarter.desk.city, quarter.overdue
    report = reporting.report_progress(
        actor=city.sun,
        task=task,
        version=task.version,
        narrative="背街小巷整治：完成三条街巷路面修复。",
        problems="资金到位慢",
        next_steps="下周完成绿化",
        progress=30,
    )
    assert _stored(report) == _expected(report)
    # Spacing, punctuation, width and case do not change the digest; the words do.
    assert engine.normalize("背街小巷 整治，ＡＢ!") == engine.normalize("背街小巷整治ab")
    assert _stored(report)[0] != fingerprints.digest("背街小巷整治", "", "")[0]


def test_a_corrected_report_gets_the_fingerprint_of_its_new_text(quarter: Quarter) -> None:
    report = ProgressReport.objects.get(task=quarter.on_time)
    before = _stored(report)
    report.narrative = "完成改造方案编制，五个小区已进场施工。"
    report.save(update_fields=["narrative"])
    fingerprints.report_fingerprint(report)
    assert _stored(report) == _expected(report) != before
    assert ReportFingerprint.objects.filter(report_id=report.pk).count() == 1


def test_reports_without_a_fingerprint_are_filled_in_bulk_with_the_same_digest(quarter: Quarter) -> None:
    city, clock, task = quarter.desk.city, quarter.clock, quarter.overdue
    clock.set(date(2024, 3, 20))
    task.refresh_from_db()
    later = reporting.report_progress(
        actor=city.sun, task=task, version=task.version, narrative="整治完成过半", progress=50
    )
    written = {r.report_id: (r.digest, r.length) for r in ReportFingerprint.objects.all()}
    assert len(written) == ProgressReport.objects.count() == 2
    ReportFingerprint.objects.all().delete()

    # Only the reports made up to the given day; the later one waits.
    assert fingerprints.fill_missing(up_to=date(2024, 3, 1)) == 1
    assert set(ReportFingerprint.objects.values_list("report_id", flat=True)) == set(written) - {later.pk}
    assert fingerprints.fill_missing() == 1
    assert fingerprints.fill_missing() == 0
    assert {r.report_id: (r.digest, r.length) for r in ReportFingerprint.objects.all()} == written


def test_the_bulk_fill_leaves_fingerprints_written_meanwhile_alone(quarter: Quarter) -> None:
    report = ProgressReport.objects.get(task=quarter.on_time)
    ReportFingerprint.objects.filter(report_id=report.pk).update(digest="kept", length=1)
    assert fingerprints.fill_missing() == 0
    assert _stored(report) == ("kept", 1)
