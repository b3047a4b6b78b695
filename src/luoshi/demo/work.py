"""The demo city's work: a municipal meeting's decisions and a provincial inspection's problem list,
decomposed into about three hundred tasks at three levels, in every state and light, with reports and
evidence files, dated relative to today so that the demo always looks live.

``luoshi.demo.plan`` decides the history; this module replays it through the services, each act on its own
date (the workflow services take ``today=``, reports ``reported_on=``) and as the person whose act it is,
so the audit trail, the outbox and the roll-up are those of real use. Afterwards:

- the daily sweep (``rollup.repair(today=…)``) brings every light to today, as it would overnight;
- the creation times of the records the services stamp with the clock (``created_at``, ``decided_at``)
  are moved to the day of the act they record. They are pure history, the services offer no other way,
  and without it every report would look filed in the minute the demo was loaded. The audit trail keeps
  its real times: it says when the demo was loaded, truthfully.

The search index needs nothing afterwards: the services index what they write.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.utils import timezone

from luoshi.core import workdays
from luoshi.core.errors import LuoshiError
from luoshi.demo import closure, files, workdata
from luoshi.demo import indicators as demo_indicators
from luoshi.demo import supervision as demo_supervision
from luoshi.demo.city import DemoCity, DemoError
from luoshi.demo.plan import Event, EvidenceSpec, People, WorkPlan, chinese_date, plan_work
from luoshi.directives import services as directives
from luoshi.directives.models import Clause, ClauseKind, Directive, DirectiveKind, DirectiveLevel, FocusArea
from luoshi.evaluation.periods import Period, PeriodKind
from luoshi.evaluation.services import evaluation_run
from luoshi.evidence.models import EvidenceFile
from luoshi.notifications.models import Notification
from luoshi.organizations.models import User
from luoshi.tasks import requests, rollup, workflow
from luoshi.tasks.models import (
    CompletionRequest,
    ExtensionRequest,
    ProgressReport,
    RequestStatus,
    SendBack,
    Task,
    TaskTransfer,
)
from luoshi.tasks.reporting import report_progress
from luoshi.tasks.services import task_create, task_decompose, task_set_people

# Records the services stamp with the clock; their creation time is moved to the day of the act.
STAMPED: tuple[type[models.Model], ...] = (
    Task,
    ProgressReport,
    CompletionRequest,
    ExtensionRequest,
    TaskTransfer,
    SendBack,
    EvidenceFile,
    Notification,
)
# The hour of the day the demo's acts are stamped with (local time).
OFFICE_HOUR = clock(10, 0)


@dataclass
class DemoWork:
    """What ``build_work`` loaded, for ``luoshi demo`` to print."""

    directives: int
    clauses: int
    undecomposed: int
    tasks: int
    by_status: dict[str, int]
    by_light: dict[str, int]
    reports: int
    evidence: int
    seconds: float


def build_work(city: DemoCity, *, today: date | None = None) -> DemoWork:
    """Load the demo's directives and tasks into ``city`` (freshly built), as things stand on ``today``
    (by default the date the services judge by: ``LUOSHI_TODAY`` when the deployment freezes one, else the
    local date)."""
    started = time.monotonic()
    today = today or workdays.today()
    plan = plan_work(today)
    with transaction.atomic():
        replay = _Replay(city, plan)
        replay.run()
        closure.build_closure(city, today=today)
        # The overnight sweep: every light judged as of today, not as of the day of the last act.
        rollup.repair(today=today)
        # The services indexed every title, clause and report as they wrote it.
        replay.backdate()
        demo_indicators.build_indicators(city, today=today)
        demo_supervision.build_supervision(city, today=today)
        # This quarter's league table, stored as the scheduler would, so the cockpit can show it.
        evaluation_run(actor=None, period=Period.containing(PeriodKind.QUARTER, today), as_of=today)
    return summarize(seconds=time.monotonic() - started)


def summarize(*, seconds: float = 0.0) -> DemoWork:
    directive_ids = list(
        Directive.objects.filter(title__in=[workdata.MEETING_TITLE, workdata.INSPECTION_TITLE]).values_list(
            "pk", flat=True
        )
    )
    clauses = Clause.objects.filter(directive_id__in=directive_ids)
    tasks = Task.objects.filter(directive_id__in=directive_ids)
    return DemoWork(
        directives=len(directive_ids),
        clauses=clauses.count(),
        undecomposed=clauses.filter(tasks__isnull=True).count(),
        tasks=tasks.count(),
        by_status=dict(Counter(tasks.values_list("status", flat=True))),
        by_light=dict(Counter(tasks.values_list("light", flat=True))),
        reports=ProgressReport.objects.filter(task__in=tasks).count(),
        evidence=EvidenceFile.objects.filter(task__in=tasks).count(),
        seconds=seconds,
    )


def meeting_text(held_on: date) -> str:
    parts = [workdata.MEETING_INTRO.format(date=chinese_date(held_on))]
    for area in workdata.AREAS:
        demands = "".join(c.text for c in workdata.CLAUSES if c.area == area.code)
        parts += [area.heading, demands]
    parts.append(workdata.MEETING_CLOSING)
    return "\n\n".join(parts)


def inspection_text(received_on: date) -> str:
    problems = "\n".join(f"{i}. {p.text}" for i, p in enumerate(workdata.PROBLEMS, start=1))
    return "\n\n".join(
        [
            workdata.INSPECTION_INTRO.format(date=chinese_date(received_on)),
            problems,
            workdata.INSPECTION_CLOSING,
        ]
    )


def stamp(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, OFFICE_HOUR))


class _Replay:
    """Replays a ``WorkPlan`` through the services, in date order."""

    def __init__(self, city: DemoCity, plan: WorkPlan) -> None:
        self.city = city
        self.plan = plan
        self.people = People()
        self.tasks: dict[str, Task] = {}
        self.clauses: dict[tuple[str, int], Clause] = {}
        self.extensions: dict[str, ExtensionRequest] = {}
        # After each day of acts, the highest id of every stamped model (see ``backdate``).
        self.marks: list[tuple[date, dict[type[models.Model], int]]] = []
        self.decided: list[tuple[type[models.Model], int, date]] = []
        self.registered: list[tuple[type[models.Model], int, date]] = []

    def user(self, username: str | None) -> User | None:
        return self.city.people[username] if username else None

    def actor(self, event: Event) -> User:
        return self.city.people[event.actor]

    # --- directives -------------------------------------------------------------------------------

    def register(self) -> None:
        """The focus areas, and the two directives with their clauses, as the supervision office
        registered them."""
        admin, zhao = self.city.people["admin"], self.city.people["zhaomin"]
        government = self.city.government
        areas: dict[str, FocusArea] = {}
        for index, area in enumerate(workdata.AREAS, start=1):
            areas[area.code] = directives.focus_area_create(
                actor=admin,
                name=area.name,
                code=area.code,
                sort_order=index * 10,
                keywords="\n".join(area.keywords),
            )
        headings = {a.code: a.heading for a in workdata.AREAS}
        meeting_on, inspection_on = self.plan.meeting_on, self.plan.inspection_on
        meeting = directives.directive_create(
            actor=zhao,
            issuing_org=government,
            title=workdata.MEETING_TITLE,
            level=DirectiveLevel.MUNICIPAL,
            kind=DirectiveKind.MEETING,
            issued_on=meeting_on,
            doc_number=workdata.MEETING_NUMBER.format(year=meeting_on.year, serial=workdata.MEETING_SERIAL),
            issuing_body=workdata.MEETING_BODY,
            full_text=meeting_text(meeting_on),
        )
        self.registered.append((Directive, meeting.pk, meeting_on))
        for ordinal, spec in enumerate(workdata.CLAUSES, start=1):
            self.clauses[("meeting", ordinal)] = clause = directives.clause_add(
                actor=zhao,
                directive=meeting,
                text=spec.text,
                focus_area=areas[spec.area],
                heading=headings[spec.area],
                ordinal=ordinal,
            )
            self.registered.append((Clause, clause.pk, meeting_on))
        inspection = directives.directive_create(
            actor=zhao,
            issuing_org=government,
            title=workdata.INSPECTION_TITLE,
            level=DirectiveLevel.PROVINCIAL,
            kind=DirectiveKind.INSPECTION,
            issued_on=inspection_on,
            doc_number=workdata.INSPECTION_NUMBER.format(
                year=inspection_on.year, serial=workdata.INSPECTION_SERIAL
            ),
            issuing_body=workdata.INSPECTION_BODY,
            full_text=inspection_text(inspection_on),
        )
        self.registered.append((Directive, inspection.pk, inspection_on))
        for ordinal, spec in enumerate(workdata.PROBLEMS, start=1):
            self.clauses[("inspection", ordinal)] = clause = directives.clause_add(
                actor=zhao,
                directive=inspection,
                text=spec.text,
                focus_area=areas[spec.area],
                kind=ClauseKind.PROBLEM,
                heading=workdata.INSPECTION_HEADING,
                ordinal=ordinal,
            )
            self.registered.append((Clause, clause.pk, inspection_on))

    # --- the replay -------------------------------------------------------------------------------

    def run(self) -> None:
        self.register()
        self.marks.append((date.min, self.highest_ids()))
        day: date | None = None
        for event in sorted(self.plan.events, key=lambda e: (e.day, e.seq)):
            if event.day != day:
                if day is not None:
                    self.marks.append((day, self.highest_ids()))
                day = event.day
            try:
                getattr(self, f"do_{event.act}")(event)
            except LuoshiError as exc:
                # A plan the services refuse is a bug in the plan: say which act, on which task.
                fields = getattr(exc, "fields", {}) or {}
                raise DemoError(
                    f"{event.day} {event.act} {event.node.key} by {event.actor}: {exc.message} {fields}"
                ) from exc
        if day is not None:
            self.marks.append((day, self.highest_ids()))

    def highest_ids(self) -> dict[type[models.Model], int]:
        """The highest id of every stamped model, in one statement (it runs after every day of acts)."""
        quote = connection.ops.quote_name
        columns = ", ".join(
            f"(SELECT MAX({quote(m._meta.pk.column)}) FROM {quote(m._meta.db_table)})"  # noqa: S608 -- model tables, no input
            for m in STAMPED
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns}")
            row = cursor.fetchone()
        return {model: value or 0 for model, value in zip(STAMPED, row, strict=True)}

    def backdate(self) -> None:
        """Move the creation (and decision) times of what the acts recorded to the acts' days.

        Acts were replayed in date order, so the ids each day added form one range per model.
        """
        today = self.plan.today
        (_, previous), *days = self.marks
        for day, highest in days:
            for model in STAMPED:
                if highest[model] > previous[model] and day < today:
                    model._default_manager.filter(pk__gt=previous[model], pk__lte=highest[model]).update(
                        created_at=stamp(day)
                    )
            previous = highest
        for field, rows in (("decided_at", self.decided), ("created_at", self.registered)):
            grouped: dict[tuple[type[models.Model], date], list[int]] = {}
            for model, pk, day in rows:
                if day < today:
                    grouped.setdefault((model, day), []).append(pk)
            for (model, day), pks in grouped.items():
                model._default_manager.filter(pk__in=pks).update(**{field: stamp(day)})

    def task(self, event: Event) -> Task:
        return self.tasks[event.node.key]

    def version(self, task: Task) -> int:
        return int(Task.objects.values_list("version", flat=True).get(pk=task.pk))

    def files(self, specs: tuple[EvidenceSpec, ...]) -> list[ContentFile[bytes]]:
        made = []
        for spec in specs:
            data = (
                files.site_photo(spec.seed)
                if spec.kind == "png"
                else files.document(spec.title, list(spec.lines))
            )
            made.append(ContentFile(data, name=spec.name))
        return made

    def pending_completion(self, task: Task, day: date) -> None:
        pending = CompletionRequest.objects.filter(task=task, status=RequestStatus.PENDING).values_list(
            "pk", flat=True
        )
        self.decided += [(CompletionRequest, pk, day) for pk in pending]

    # --- one method per act -----------------------------------------------------------------------

    def do_create(self, event: Event) -> None:
        n = event.node
        common: dict[str, Any] = {
            "actor": self.actor(event),
            "lead_org": self.city.units[n.lead],
            "title": n.title,
            "due_on": n.due_on,
            "start_on": n.start_on,
            "description": n.description,
            "expected_outcome": n.outcome,
            "cooperating_orgs": [self.city.units[u] for u in n.coop],
            "responsible_leader": self.user(self.people.responsible(n.lead)),
            "handler": self.user(self.people.lead(n.lead)),
            "report_cadence": n.cadence,
            "weight": n.weight,
            "priority": n.priority,
            "tags": n.tags,
        }
        if n.parent is None:
            task = task_create(
                assigning_org=self.city.units[n.assigning],
                clause=self.clauses[(n.directive, n.clause)],
                **common,
            )
        else:
            parent = self.tasks[n.parent.key]
            task = task_decompose(parent=parent, version=self.version(parent), **common)
        self.tasks[n.key] = task

    def do_assign(self, event: Event) -> None:
        task = self.task(event)
        workflow.task_assign(actor=self.actor(event), task=task, version=self.version(task), today=event.day)

    def do_start(self, event: Event) -> None:
        task = self.task(event)
        workflow.task_start(actor=self.actor(event), task=task, version=self.version(task), today=event.day)

    def do_acknowledge(self, event: Event) -> None:
        task = self.task(event)
        workflow.task_acknowledge(
            actor=self.actor(event), task=task, version=self.version(task), today=event.day
        )

    def do_send_back(self, event: Event) -> None:
        task = self.task(event)
        workflow.task_send_back(
            actor=self.actor(event), task=task, version=self.version(task), reason=event.text, today=event.day
        )

    def do_transfer(self, event: Event) -> None:
        task = self.task(event)
        workflow.task_transfer(
            actor=self.actor(event),
            task=task,
            version=self.version(task),
            to_org=self.city.units[event.unit],
            reason=event.text,
            today=event.day,
        )

    def do_set_people(self, event: Event) -> None:
        task = self.task(event)
        task_set_people(
            actor=self.actor(event),
            task=task,
            version=self.version(task),
            handler=self.user(self.people.lead(event.unit)),
            responsible_leader=self.user(self.people.responsible(event.unit)),
        )

    def do_report(self, event: Event) -> None:
        task = self.task(event)
        report_progress(
            actor=self.actor(event),
            task=task,
            version=self.version(task),
            narrative=event.text,
            progress=event.progress,
            problems=event.problems,
            next_steps=event.next_steps,
            reported_on=event.day,
            period_start=event.period_start,
            period_end=event.day if event.period_start else None,
            is_phase_completion=event.phase,
            files=self.files(event.files),
        )

    def do_request_completion(self, event: Event) -> None:
        task = self.task(event)
        closure.tick_criteria(actor=self.actor(event), task=task, day=event.day)  # rectifications only
        workflow.task_request_completion(
            actor=self.actor(event),
            task=task,
            version=self.version(task),
            note=event.text,
            files=self.files(event.files),
            today=event.day,
        )

    def do_accept(self, event: Event) -> None:
        task = self.task(event)
        self.pending_completion(task, event.day)
        workflow.task_accept(
            actor=self.actor(event), task=task, version=self.version(task), note=event.text, today=event.day
        )

    def do_reject(self, event: Event) -> None:
        task = self.task(event)
        self.pending_completion(task, event.day)
        workflow.task_reject(
            actor=self.actor(event), task=task, version=self.version(task), reason=event.text, today=event.day
        )

    def do_object(self, event: Event) -> None:
        task = self.task(event)
        workflow.task_object(
            actor=self.actor(event), task=task, version=self.version(task), reason=event.text, today=event.day
        )

    def do_conclude(self, event: Event) -> None:
        task = self.task(event)
        workflow.task_conclude_notice(
            actor=self.actor(event), task=task, version=self.version(task), today=event.day
        )

    def do_cancel(self, event: Event) -> None:
        task = self.task(event)
        workflow.task_cancel(
            actor=self.actor(event), task=task, version=self.version(task), reason=event.text, today=event.day
        )

    def do_reopen(self, event: Event) -> None:
        task = self.task(event)
        workflow.task_reopen(
            actor=self.actor(event), task=task, version=self.version(task), reason=event.text, today=event.day
        )

    def do_extension_request(self, event: Event) -> None:
        task = self.task(event)
        if event.due is None:
            raise DemoError(f"The extension request of {event.node.key} names no date.")
        self.extensions[event.node.key] = requests.extension_request(
            actor=self.actor(event),
            task=task,
            version=self.version(task),
            requested_due_on=event.due,
            reason=event.text,
            today=event.day,
        )

    def do_extension_approve(self, event: Event) -> None:
        request = self.extensions[event.node.key]
        requests.extension_approve(actor=self.actor(event), request=request, note=event.text)
        self.decided.append((ExtensionRequest, request.pk, event.day))

    def do_extension_deny(self, event: Event) -> None:
        request = self.extensions[event.node.key]
        requests.extension_deny(actor=self.actor(event), request=request, note=event.text)
        self.decided.append((ExtensionRequest, request.pk, event.day))
