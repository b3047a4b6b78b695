"""The demo city's work: two directives, about three hundred tasks at three levels in every state and light,
reports with evidence files, a sound roll-up and audit trail, and the same history for the same day.

The work takes seconds to load, so it is loaded once for this module (in a transaction rolled back at the
end); each test runs inside it and sees the same data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.db.models import F
from django.test import override_settings

from luoshi.audit.models import AuditEvent
from luoshi.audit.verify import verify_chain
from luoshi.demo import city, files, plan, workdata
from luoshi.demo.work import DemoWork, build_work
from luoshi.directives.models import Clause, ClauseKind, Directive, DirectiveKind, DirectiveLevel, FocusArea
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.storage import evidence_storage
from luoshi.organizations.models import Membership
from luoshi.tasks import rollup
from luoshi.tasks.models import (
    CompletionRequest,
    ExtensionRequest,
    Light,
    ProgressReport,
    RequestStatus,
    SendBack,
    Task,
    TaskStatus,
    TaskTransfer,
)

# A fixed day, so that the tests see the same history whenever they run.
TODAY = date(2026, 6, 30)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def work(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[DemoWork]:
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
        built = city.build_city()
        yield build_work(built, today=TODAY)
        transaction.set_rollback(True)


@pytest.fixture
def tasks(work: DemoWork):
    return Task.objects.filter(directive__isnull=False)


def test_the_meeting_decisions_in_five_priorities_and_thirty_clauses(work):
    meeting = Directive.objects.get(kind=DirectiveKind.MEETING)
    assert meeting.title == workdata.MEETING_TITLE
    assert meeting.level == DirectiveLevel.MUNICIPAL
    assert meeting.issuing_org.parent is None
    held_on = TODAY - timedelta(days=plan.MEETING_DAYS_AGO)
    assert held_on - timedelta(days=4) <= meeting.issued_on <= held_on
    assert re.fullmatch(rf"鞍政办发〔{meeting.issued_on.year}〕\d+号", meeting.doc_number)
    clauses = list(meeting.clauses.select_related("focus_area"))
    assert len(clauses) == 30
    assert [c.ordinal for c in clauses] == list(range(1, 31))
    assert {c.focus_area.name for c in clauses} == {"创新", "产业转型", "绿色发展", "城市建设和管理", "民生"}
    for area in workdata.AREAS:
        assert area.heading in meeting.full_text
    for clause in clauses:
        assert clause.text in meeting.full_text
        assert clause.heading.startswith(("一、", "二、", "三、", "四、", "五、"))
    assert "三篇大文章" in meeting.full_text


def test_the_inspection_feedback_lists_its_problems(work):
    inspection = Directive.objects.get(kind=DirectiveKind.INSPECTION)
    assert inspection.level == DirectiveLevel.PROVINCIAL
    problems = inspection.clauses.all()
    assert problems.count() == 6
    assert set(problems.values_list("kind", flat=True)) == {ClauseKind.PROBLEM}
    # Its tasks are rectifications: they are published before they close.
    roots = Task.objects.filter(directive=inspection, parent__isnull=True)
    assert roots.exists()
    assert all(roots.values_list("requires_public_notice", flat=True))


def test_five_focus_areas_with_keywords_for_the_drafting_help(work):
    areas = FocusArea.objects.order_by("sort_order")
    assert [a.name for a in areas] == ["创新", "产业转型", "绿色发展", "城市建设和管理", "民生"]
    assert all(len(a.keyword_list()) >= 8 for a in areas)
    assert "老字号" in FocusArea.objects.get(code="industry").keyword_list()


def test_about_three_hundred_tasks_at_three_levels(work, tasks):
    assert 250 <= tasks.count() <= 350
    assert work.tasks == tasks.count()
    assert set(tasks.values_list("depth", flat=True)) == {1, 2, 3}
    assert tasks.filter(depth=3).count() >= 10
    # Every level below the first is assigned by the unit that leads the level above.
    for child in tasks.filter(parent__isnull=False).select_related("parent"):
        assert child.assigning_org_id == child.parent.lead_org_id


def test_every_clause_but_two_is_decomposed(work):
    undecomposed = Clause.objects.filter(tasks__isnull=True)
    assert undecomposed.count() == 2 == work.undecomposed
    assert all(c.directive.kind == DirectiveKind.MEETING for c in undecomposed)


def test_every_state_and_every_light(work, tasks):
    assert set(tasks.values_list("status", flat=True)) == set(TaskStatus.values)
    lights = set(tasks.values_list("light", flat=True))
    assert {Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN, Light.CLOSED} <= lights
    closed = tasks.filter(status=TaskStatus.CLOSED)
    assert closed.filter(closed_late=True).exists()
    assert closed.filter(closed_late=False).exists()
    assert work.by_status == dict(Counter(tasks.values_list("status", flat=True)))
    assert work.by_light == dict(Counter(tasks.values_list("light", flat=True)))


def test_dates_are_relative_to_today(work, tasks):
    open_tasks = tasks.exclude(status__in=[TaskStatus.CLOSED, TaskStatus.CANCELLED])
    # Started months ago and due soon; overdue; running into next year and reported quarterly.
    assert open_tasks.filter(
        start_on__lte=TODAY - timedelta(days=90), due_on__range=(TODAY, TODAY + timedelta(days=30))
    ).exists()
    assert open_tasks.filter(due_on__lt=TODAY).exists()
    assert open_tasks.filter(due_on__year=TODAY.year + 1, report_cadence="quarterly").exists()
    assert not ProgressReport.objects.filter(reported_on__gt=TODAY).exists()
    # What the services stamped is dated on the day of the act it records.
    for report in ProgressReport.objects.filter(reported_on__lt=TODAY)[:50]:
        assert report.created_at.date() == report.reported_on


def test_the_workflow_left_its_records(work, tasks):
    sent_back = SendBack.objects.values_list("task_id", flat=True)
    assert tasks.filter(status=TaskStatus.DRAFT, pk__in=sent_back).exists(), "one waits to be re-routed"
    assert TaskTransfer.objects.exists()
    assert tasks.filter(status=TaskStatus.IN_PROGRESS, acknowledged_late=True).exists()
    assert {RequestStatus.APPROVED, RequestStatus.DENIED, RequestStatus.PENDING} <= set(
        ExtensionRequest.objects.values_list("status", flat=True)
    )
    assert tasks.filter(due_on__gt=F("original_due_on")).exists()
    rejected_then_accepted = CompletionRequest.objects.filter(status=RequestStatus.DENIED).values("task_id")
    assert CompletionRequest.objects.filter(status=RequestStatus.APPROVED, task_id__in=rejected_then_accepted)
    assert tasks.filter(status=TaskStatus.RETURNED, rejection_count=2, light=Light.RED).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    for action in ("task.reopen", "task.object", "task.conclude_notice", "task.cancel", "task.transfer"):
        assert action in actions
    cancelled = tasks.filter(status=TaskStatus.CANCELLED)
    assert cancelled.filter(parent__status=TaskStatus.CANCELLED).exists(), "cancelled with its parent"


def test_the_acts_were_done_by_the_people_whose_acts_they_are(work, tasks):
    members = set(Membership.objects.values_list("user_id", "organization_id"))
    for task in tasks.exclude(handler__isnull=True):
        assert (task.handler_id, task.lead_org_id) in members, task.title
    assert tasks.filter(handler__username="wangfang").exists()
    assert tasks.filter(handler__username="chengang").exists()
    acknowledgements = AuditEvent.objects.filter(action="task.acknowledge").values_list(
        "actor_id", "object_id"
    )
    lead_of = dict(tasks.values_list("pk", "lead_org_id"))
    for actor_id, task_id in acknowledgements:
        assert (actor_id, lead_of[int(task_id)]) in members


def test_reports_with_words_and_evidence_files(work, tasks):
    reports = ProgressReport.objects.filter(task__in=tasks)
    assert reports.count() == work.reports
    assert reports.count() >= tasks.count()
    assert all(re.search(r"[\u4e00-\u9fff]", r.narrative) for r in reports)
    assert reports.exclude(problems="").exists()
    assert reports.filter(is_phase_completion=True).exists()
    assert reports.filter(progress__isnull=True).exists(), "cooperating units and parents report in words"
    with_files = reports.filter(evidence_files__isnull=False).distinct().count()
    assert 0.1 <= with_files / reports.count() <= 0.5
    evidence = EvidenceFile.objects.filter(task__in=tasks)
    assert evidence.filter(completion_request__isnull=False).exists()
    assert set(evidence.values_list("content_type", flat=True)) == {"image/png", "application/pdf"}
    storage = evidence_storage()
    for row in evidence[:20]:
        with storage.open(row.stored_name) as stored:
            head = stored.read(8)
        assert head.startswith(b"\x89PNG" if row.content_type == "image/png" else b"%PDF")


def test_the_roll_up_matches_a_recomputation(work):
    assert list(rollup.check()) == []
    assert list(rollup.check(today=TODAY)) == []


def test_the_audit_trail_verifies(work):
    result = verify_chain()
    assert result.ok
    assert result.count == AuditEvent.objects.count()
    assert AuditEvent.objects.filter(action="task.create").count() == Task.objects.count()


def test_everything_is_found_by_search(work, tasks):
    from luoshi.search.models import SearchEntry

    assert SearchEntry.objects.filter(kind="task").count() == tasks.count()
    assert SearchEntry.objects.filter(kind="clause").count() == Clause.objects.count()


def test_the_same_day_gives_the_same_history():
    def history(day: date) -> list[tuple[object, ...]]:
        return [
            (e.day, e.act, e.node.key, e.actor, e.text, e.progress, e.problems, e.files)
            for e in plan.plan_work(day).events
        ]

    first = history(TODAY)
    assert first == history(TODAY)
    # Another day gives the same story, moved in time.
    later = history(TODAY + timedelta(days=7))
    assert [(act, key) for _, act, key, *_ in first[:50]] == [(act, key) for _, act, key, *_ in later[:50]]


def test_the_evidence_files_are_valid():
    png = files.site_photo(7)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.endswith(b"IEND\xaeB`\x82")
    assert png == files.site_photo(7) != files.site_photo(8)
    pdf = files.document("验收记录", ["任务：整治马路市场", "日期：2026年6月30日"])
    assert pdf.startswith(b"%PDF-1.4")
    assert pdf.rstrip().endswith(b"%%EOF")
    offset = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    assert pdf[offset : offset + 4] == b"xref"


def test_the_cockpit_summaries_match_the_tasks(work):
    """Every write of the demo's history went through the triggers; the cockpit sums the same figures
    from the summaries as from the task rows, at the root and at every unit below it."""
    from datetime import timedelta

    from luoshi.core import trees
    from luoshi.indicators import cockpit
    from luoshi.organizations.models import Organization
    from luoshi.summaries import triggers

    assert not any(triggers.differences().values())
    since = TODAY - timedelta(days=TODAY.weekday(), weeks=11)  # a Monday, as the cockpit asks
    root = Organization.objects.get(parent__isnull=True)
    for org in [root, *Organization.objects.filter(parent=root)]:
        tasks = Task.objects.filter(trees.subtree_q("lead_org_path", org.path))
        live = cockpit.live_counts(tasks, org, TODAY, since)
        summed = cockpit.summary_counts(org, TODAY, since)
        assert summed.overdue == live.overdue, org.name
        assert {k: v["total"] for k, v in summed.by_branch.items() if v["total"]} == {
            k: v["total"] for k, v in live.by_branch.items()
        }, org.name
        assert {k: v for k, v in summed.closures.items() if v} == live.closures, org.name
