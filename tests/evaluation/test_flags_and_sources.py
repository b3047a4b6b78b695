"""Flags for suspicious patterns, and the components that come from other apps (urgings, relapses)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.evaluation import selectors, services
from luoshi.evaluation.models import Component, Flag, FlagKind, Score, SubjectKind
from luoshi.evaluation.periods import Period
from luoshi.tasks import reporting
from tests.evaluation.conftest import Quarter
from tests.evidence.samples import pdf

Q1 = Period.parse("2024-Q1")


def test_progress_jumping_to_100_on_the_due_day_and_copied_reports_are_flagged(quarter: Quarter) -> None:
    city, clock = quarter.desk.city, quarter.clock
    task = quarter.overdue
    clock.set(date(2024, 2, 2))
    task.refresh_from_db()
    # The same words as 铁西区's report of 1 February, with other spacing and punctuation.
    reporting.report_progress(
        actor=city.sun,
        task=task,
        version=task.version,
        narrative="完成改造方案编制和招标工作 三个小区已进场施工！完成投资１２００万元",
        progress=20,
    )
    clock.set(date(2024, 2, 20))
    task.refresh_from_db()
    reporting.report_progress(
        actor=city.sun, task=task, version=task.version, narrative="全部完成", progress=100
    )
    clock.set(date(2024, 3, 1))
    evaluation = services.evaluation_run(actor=city.zhao, period=Q1)
    kinds = {(f.kind, f.organization_id, f.task_id) for f in Flag.objects.filter(evaluation=evaluation)}
    assert (FlagKind.JUMP_ON_DUE_DAY, city.tiedong.pk, task.pk) in kinds
    assert (FlagKind.COPIED_REPORT, city.tiedong.pk, task.pk) in kinds
    # The original (铁西区's, earlier) is not the copy.
    assert (FlagKind.COPIED_REPORT, city.tiexi.pk, quarter.on_time.pk) not in kinds
    tiedong = Score.objects.get(evaluation=evaluation, kind=SubjectKind.UNIT, organization=city.tiedong)
    assert tiedong.flag_count == 2
    assert {f.kind for f in selectors.flags_for(evaluation, city.tiedong)} == {
        FlagKind.JUMP_ON_DUE_DAY,
        FlagKind.COPIED_REPORT,
    }


def test_urgings_received_cost_points_by_level_and_drill_down(quarter: Quarter) -> None:
    supervision = pytest.importorskip("luoshi.supervision.services")
    city, clock = quarter.desk.city, quarter.clock
    clock.set(date(2024, 2, 22))
    task = quarter.overdue
    task.refresh_from_db()
    urging = supervision.urging_issue(
        actor=city.zhao, task=task, level="notice", reason="逾期未办结", respond_by=date(2024, 2, 27)
    )
    clock.set(date(2024, 3, 1))
    evaluation = services.evaluation_run(actor=city.zhao, period=Q1)
    tiedong = Score.objects.get(evaluation=evaluation, kind=SubjectKind.UNIT, organization=city.tiedong)
    assert tiedong.components[Component.URGINGS]["count"] == 1
    assert tiedong.components[Component.URGINGS]["score"] == "95.00"  # the default 5 points for a notice
    losses = [
        loss for loss in selectors.drill_down(evaluation, tiedong) if loss.component == Component.URGINGS
    ]
    assert [loss.urging_id for loss in losses] == [urging.pk]
    assert sum(loss.points for loss in selectors.drill_down(evaluation, tiedong)) == pytest.approx(
        Decimal(100) - tiedong.score, abs=Decimal("0.01")
    )


def test_a_quick_relapse_costs_points_and_is_flagged(quarter: Quarter, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    lookbacks = pytest.importorskip("luoshi.lookbacks.services")
    city, clock = quarter.desk.city, quarter.clock
    clock.set(date(2024, 2, 16))
    closed = quarter.on_time
    closed.refresh_from_db()
    lookback = lookbacks.lookback_schedule(actor=city.zhao, task=closed, due_on=date(2024, 2, 26))
    clock.set(date(2024, 2, 26))
    lookbacks.lookback_record(
        actor=city.zhao,
        lookback=lookback,
        version=lookback.version,
        outcome="relapsed",
        findings="问题反弹",
        relapse_due_on=date(2024, 3, 29),
        files=[SimpleUploadedFile("复查照片.pdf", pdf("relapsed"), content_type="application/pdf")],
    )
    clock.set(date(2024, 3, 1))
    evaluation = services.evaluation_run(actor=city.zhao, period=Q1)
    tiexi = Score.objects.get(evaluation=evaluation, kind=SubjectKind.UNIT, organization=city.tiexi)
    assert tiexi.components[Component.RELAPSES]["count"] == 1
    assert tiexi.components[Component.RELAPSES]["score"] == "75.00"
    assert Flag.objects.filter(evaluation=evaluation, kind=FlagKind.QUICK_RELAPSE, task_id=closed.pk).exists()
    losses = [
        loss for loss in selectors.drill_down(evaluation, tiexi) if loss.component == Component.RELAPSES
    ]
    assert [loss.task_id for loss in losses] == [closed.pk]
