"""The demo's closure of the loop (issue 4 items 4–6): the inspection's rectification list filled in,
closing criteria ticked before rectifications ask to be verified, units' conveyance records, and
look-backs of closed work (one consolidated, one relapsed, one waiting).

Everything goes through the services, as people would do it; a few dozen rows, well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.files.base import ContentFile

from luoshi.core import workdays
from luoshi.demo import files, workdata
from luoshi.demo.city import DemoCity
from luoshi.directives import conveyance, rectification
from luoshi.directives.models import (
    Clause,
    ClauseKind,
    ConveyanceMethod,
    DeadlineType,
    Directive,
    ProblemSource,
)
from luoshi.lookbacks import services as lookbacks
from luoshi.organizations.models import Membership, User
from luoshi.tasks import closing
from luoshi.tasks.models import ClosingCriterion, Task, TaskStatus

MEASURES = {
    DeadlineType.IMMEDIATE: (
        "立即组织现场排查，逐点建立问题清单",
        "当月完成整治并拍照留存",
        "举一反三开展同类问题排查",
    ),
    DeadlineType.BY_DATE: (
        "制定整改方案，明确责任单位、责任人和完成时限",
        "分阶段推进整改，每月报送进展",
        "建立常态化巡查和考核机制",
    ),
    DeadlineType.ONGOING: (
        "纳入年度重点工作持续推进",
        "每季度开展一次督导检查",
        "完善长效管理制度并向社会公开",
    ),
}
DEADLINE_CYCLE = (DeadlineType.BY_DATE, DeadlineType.IMMEDIATE, DeadlineType.BY_DATE, DeadlineType.ONGOING)
SOURCE_CYCLE = (
    ProblemSource.PROVINCIAL,
    ProblemSource.PROVINCIAL,
    ProblemSource.CENTRAL,
    ProblemSource.SELF_FOUND,
)


@dataclass
class DemoClosure:
    problems: int
    conveyances: int
    lookbacks: int


def tick_criteria(*, actor: User, task: Task, day: date) -> None:
    """Before a rectification asks to be verified, its lead unit ticks the closing criteria with one
    document of evidence (called by the replay of the demo's history)."""
    if not closing.is_rectification(task) or not closing.unmet_criteria(task):
        return
    evidence = ContentFile(
        files.document("整改销号佐证材料", [task.title, "整改措施已全部落实，经现场核查达到整改标准。"]),
        name="整改销号佐证材料.pdf",
    )
    first, *rest = list(ClosingCriterion)
    check = closing.closing_check_tick(
        actor=actor, task=task, criterion=first, note="整改措施全部完成", files=[evidence], today=day
    )
    ids = [e.pk for e in check.evidence_files.all()]
    for criterion in rest:
        closing.closing_check_tick(actor=actor, task=task, criterion=criterion, evidence_ids=ids, today=day)


def build_closure(city: DemoCity, *, today: date) -> DemoClosure:
    zhao = city.people["zhaomin"]
    problems = _fill_rectification_list(zhao, today)
    conveyed = _conveyance_records(today)
    looked = _lookbacks(zhao, today)
    return DemoClosure(problems=problems, conveyances=conveyed, lookbacks=looked)


def _fill_rectification_list(zhao: User, today: date) -> int:
    inspection = Directive.objects.get(title=workdata.INSPECTION_TITLE)
    clauses = list(Clause.objects.filter(directive=inspection, kind=ClauseKind.PROBLEM).order_by("ordinal"))
    for index, clause in enumerate(clauses):
        deadline = DEADLINE_CYCLE[index % len(DEADLINE_CYCLE)]
        rectification.problem_update(
            actor=zhao,
            clause=clause,
            version=clause.version,
            problem_source=SOURCE_CYCLE[index % len(SOURCE_CYCLE)],
            deadline_type=deadline,
            fix_by=inspection.issued_on + timedelta(days=150) if deadline == DeadlineType.BY_DATE else None,
            measures="\n".join(MEASURES[deadline]),
        )
    return len(clauses)


def _conveyance_records(today: date) -> int:
    """Two of every three reached units of each directive have conveyed it, by their head or handler."""
    count = 0
    for directive in Directive.objects.filter(title__in=[workdata.MEETING_TITLE, workdata.INSPECTION_TITLE]):
        reached = sorted(conveyance.reached_org_ids(directive))
        recorders: dict[int, int] = {}
        for org_id, user_id in (
            Membership.objects.filter(organization_id__in=reached, role__in=conveyance.RECORDER_ROLES)
            .order_by("role", "pk")
            .values_list("organization_id", "user_id")
        ):
            recorders.setdefault(org_id, user_id)
        people = {u.pk: u for u in User.objects.filter(pk__in=recorders.values())}
        for index, org_id in enumerate(reached):
            if index % 3 == 2 or org_id not in recorders:
                continue
            recorder = people[recorders[org_id]]
            org = recorder.memberships.get(organization_id=org_id).organization
            held_on = min(today, directive.issued_on + timedelta(days=3 + index % 7))
            conveyance.conveyance_record(
                actor=recorder,
                directive=directive,
                org=org,
                method=ConveyanceMethod.MEETING if index % 2 == 0 else ConveyanceMethod.STUDY_SESSION,
                held_on=held_on,
                attendee_count=8 + index % 20,
                attendee_names="班子成员及各科室负责人",
                notes=f"传达学习《{directive.title}》，研究部署贯彻落实措施。",
            )
            count += 1
    return count


def _lookbacks(zhao: User, today: date) -> int:
    """The rule schedules the closed rectifications; of the closed tasks, one look-back is consolidated,
    one found a relapse, one waits (due today, so that it shows among the supervisor's work)."""
    lookbacks.lookbacks_schedule_by_rule(today=today)
    closed = list(
        Task.objects.filter(status=TaskStatus.CLOSED, parent__isnull=True, lookbacks__isnull=True).order_by(
            "closed_on", "pk"
        )[:3]
    )
    due_on = today if workdays.is_working_day(today) else workdays.add_working_days(today, 1)
    outcomes = ["consolidated", "relapsed", None]
    for task, outcome in zip(closed, outcomes, strict=False):
        lookback = lookbacks.lookback_schedule(actor=zhao, task=task, due_on=due_on, today=today)
        if outcome is None:
            continue
        findings = (
            "现场复查，整改成果巩固，未发现反弹。"
            if outcome == "consolidated"
            else "现场复查发现问题反弹，需重新整改。"
        )
        photo = ContentFile(files.site_photo(task.pk), name="回头看现场照片.png")
        lookbacks.lookback_record(
            actor=zhao,
            lookback=lookback,
            version=lookback.version,
            outcome=outcome,
            findings=findings,
            files=[photo],
            relapse_due_on=workdays.add_working_days(today, 20) if outcome == "relapsed" else None,
            today=today,
        )
    return len(closed)
