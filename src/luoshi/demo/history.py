"""The dated history of the demo's tasks: when each was created, assigned, acknowledged, reported on,
asked to be verified, accepted or rejected, extended, cancelled or reopened, and by whom.

Dates are chosen so that the services' own rules give each task its fate today: a last report 12–22
points behind the expected progress for yellow, more than 30 for red, a deadline within three working
days for blue, a last report older than the cadence allows for "report missing", an acceptance after the
original deadline for "closed late" (``luoshi.tasks.lights``). Acts fall on working days.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from random import Random

from luoshi.core import workdays
from luoshi.demo import narratives as words
from luoshi.demo.story import (
    CLOSING,
    DAY,
    INSPECTION_DAYS_AGO,
    MEETING_DAYS_AGO,
    NOT_STARTED,
    OPEN_WORK,
    Event,
    EvidenceSpec,
    F,
    Fate,
    Node,
    People,
    PlanError,
    chinese_date,
)
from luoshi.tasks import lights


class Historian:
    def __init__(self, today: date, rng: Random, people: People) -> None:
        self.today = today
        self.rng = rng
        self.people = people
        self.events: list[Event] = []
        self.meeting_on = self.back(today - timedelta(days=MEETING_DAYS_AGO), 0)
        self.inspection_on = self.back(today - timedelta(days=INSPECTION_DAYS_AGO), 0)

    # --- dates ------------------------------------------------------------------------------------

    def back(self, day: date, count: int) -> date:
        """``count`` working days before ``day``; with 0, the last working day on or before it."""
        if count == 0:
            return day if workdays.is_working_day(day) else workdays.add_working_days(day, -1)
        return workdays.add_working_days(day, -count)

    def ahead(self, day: date, count: int) -> date:
        return workdays.add_working_days(day, count)

    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    # --- acts -------------------------------------------------------------------------------------

    def emit(self, day: date, act: str, node: Node, actor: str | None, **values: object) -> None:
        """Add an act to the history; acts of one day keep the order in which they were planned."""
        if not actor or day > self.today:
            raise PlanError(f"{act} of {node.key} on {day} by {actor or 'nobody'} cannot be planned.")
        self.events.append(Event(day, len(self.events), act, node, actor, **values))  # type: ignore[arg-type]

    # --- the schedule -----------------------------------------------------------------------------

    def feasible(self, fate: Fate, cap: date | None) -> Fate:
        """The fate, or the nearest one that fits under the parent's deadline ``cap``."""
        today = self.today
        if cap is None:
            return fate
        if fate == F.EXTENDED and cap < today + timedelta(days=35):
            fate = F.GREEN
        if fate == F.EXTENSION_PENDING and cap < today + timedelta(days=20):
            fate = F.GREEN
        needs_room = OPEN_WORK | NOT_STARTED | {F.CANCELLED}
        if fate in needs_room and cap < today + timedelta(days=20):
            if cap < today:
                return F.OVERDUE
            if cap <= self.ahead(today, 3):
                return F.BLUE
            return F.GREEN if fate in NOT_STARTED else fate
        if fate == F.BLUE and cap < today:
            return F.OVERDUE
        return fate

    def schedule(
        self, n: Node, *, created: date, cap: date | None, close_by: date | None, stop_by: date | None = None
    ) -> None:
        """Date the task's history so that it ends in its fate today, and emit its acts (and its
        subtasks', between its acknowledgement and its own completion)."""
        today, rng, people = self.today, self.rng, self.people
        fate = n.fate = self.feasible(n.fate, cap)
        limit = today
        if close_by is not None:
            limit = min(limit, close_by)
        if stop_by is not None:
            limit = min(limit, self.back(stop_by, 1))
        far = cap or date(today.year + 1, 12, 31)

        if fate in (F.ASSIGNED, F.DRAFT):
            created = max(created, self.back(today, rng.randint(0, 3)))
        elif fate == F.UNACKNOWLEDGED:
            created = max(created, self.back(today, rng.randint(12, 16)))
        elif fate == F.SENT_BACK:
            created = max(created, self.back(today, rng.randint(6, 9)))
        start = today + self.days(3, 10) if fate == F.DRAFT else created
        if n.kept:
            ack = created
        elif fate == F.TRANSFERRED:
            ack = self.ahead(created, 4)
        else:
            ack = min(self.ahead(created, rng.choice((0, 1, 1, 1, 2, 2, 3, 5))), limit)
        at = self.history(n, fate, start=start, ack=ack, limit=limit, far=far, cap=cap)
        fate = n.fate
        due = at["due"]
        start = min(start, due)
        n.start_on, n.due_on = start, due

        assigner = people.assigner(n.assigning)
        self.emit(created, "create", n, assigner)
        if n.kept:
            self.emit(created, "start", n, assigner)
        elif fate != F.DRAFT:
            self.emit(created, "assign", n, assigner)
        if fate in (F.DRAFT, F.ASSIGNED, F.UNACKNOWLEDGED):
            return
        if fate == F.SENT_BACK:
            self.emit(
                self.ahead(created, rng.randint(1, 2)), "send_back", n, people.lead(n.lead), text=n.reason
            )
            return
        lead_unit = n.lead
        if fate == F.TRANSFERRED:
            lead_unit = n.transfer_to
            self.emit(self.ahead(created, 1), "send_back", n, people.lead(n.lead), text=n.reason)
            reason = f"经核实，该任务属于{people.name(lead_unit)}职责，予以转办。"
            self.emit(self.ahead(created, 3), "transfer", n, assigner, unit=lead_unit, text=reason)
            self.emit(ack, "acknowledge", n, people.lead(lead_unit))
            self.emit(ack, "set_people", n, people.lead(lead_unit), unit=lead_unit)
        elif not n.kept:
            self.emit(ack, "acknowledge", n, people.lead(lead_unit))

        ask = at.get("ask")
        for child in n.children:
            self.schedule(
                child,
                created=self.ahead(ack, rng.randint(1, 6)),
                cap=n.due_on,
                close_by=self.back(ask, 1) if ask else None,
                stop_by=at.get("cancel") or stop_by,
            )
        worker = people.lead(lead_unit)
        if n.children:
            self.parent_reports(n, fate, ack, at, worker)
        else:
            self.leaf_reports(n, fate, ack, at, worker, limit)
        self.cooperation(n, ack, at, limit)
        self.decisions(n, fate, at, worker)

    def history(
        self, n: Node, fate: Fate, *, start: date, ack: date, limit: date, far: date, cap: date | None
    ) -> dict[str, date]:
        """The dates of the task's history for its fate: its deadline (``due``), and when it asked for
        completion (``ask``), was rejected, accepted, extended, cancelled or reopened."""
        today, rng = self.today, self.rng
        at: dict[str, date] = {}
        days = self.days
        if fate in CLOSING | {F.REOPENED} and self.ahead(ack, 12) > limit:
            # Too little time before its parent's completion for a longer story: a plain closure.
            fate = n.fate = F.CLOSED
        if n.long and fate in OPEN_WORK:
            at["due"] = far
        elif fate in OPEN_WORK or fate == F.CANCELLED:
            at["due"] = min(far, today + days(20, 200))
        elif fate == F.OVERDUE:
            at["due"] = max(min(far, today - days(3, 30)), start + days(20, 40))
            if at["due"] >= today:
                at["due"] = today - DAY
        elif fate == F.BLUE:
            at["due"] = min(far, self.ahead(today, rng.randint(1, 3)))
        elif fate == F.EXTENDED:
            at["due"] = today - days(4, 15)
            at["extension"] = max(self.back(at["due"], rng.randint(5, 8)), self.ahead(ack, 3))
            at["extension_approved"] = self.ahead(at["extension"], 2)
            at["new_due"] = min(far, today + days(30, 90))
        elif fate == F.EXTENSION_PENDING:
            at["due"] = min(far, today + days(4, 12))
            at["extension"] = self.back(today, rng.randint(0, 2))
            at["new_due"] = min(far, at["due"] + timedelta(days=30))
        elif fate == F.EXTENSION_DENIED:
            at["due"] = min(far, today - days(4, 12))
            at["extension"] = self.back(at["due"], 6)
            at["extension_denied"] = self.ahead(at["extension"], 2)
        elif fate == F.REVIEW:
            at["ask"] = self.back(limit, rng.randint(0, 3))
            at["due"] = min(far, today + days(3, 40))
        elif fate == F.RETURNED:
            at["ask"] = self.back(today, rng.randint(8, 14))
            at["reject"] = self.ahead(at["ask"], 2)
            at["rework"] = min(today, self.ahead(at["reject"], rng.randint(1, 3)))
            at["due"] = min(far, today + days(10, 60))
        elif fate == F.RETURNED_TWICE:
            at["ask"] = self.back(today, rng.randint(26, 32))
            at["reject"] = self.ahead(at["ask"], 2)
            at["rework"] = self.ahead(at["reject"], 3)
            at["ask_again"] = self.ahead(at["rework"], 2)
            at["reject_again"] = self.ahead(at["ask_again"], 2)
            at["rework_again"] = min(today, self.ahead(at["reject_again"], 2))
            at["due"] = min(far, today + days(10, 45))
        elif fate in CLOSING or fate == F.REOPENED:
            if fate == F.REOPENED:
                accept = self.back(today, rng.randint(45, 70))
            elif cap is not None and limit < today:
                accept = self.back(limit, rng.randint(0, 8))
            else:
                accept = self.back(limit, rng.randint(3, 60))
            earliest = self.ahead(ack, 30 if n.children else 15)
            accept = min(max(accept, earliest), limit)
            at["accept"] = accept
            if fate == F.CLOSED_REJECTED:
                at["ask_again"] = self.back(accept, 2)
                at["rework"] = self.back(at["ask_again"], 1)
                at["reject"] = self.back(at["rework"], 1)
                at["ask"] = self.back(at["reject"], 2)
            else:
                at["ask"] = self.back(accept, rng.randint(1, 3))
            at["due"] = min(far, accept + days(0, 45))
            if fate == F.CLOSED_LATE:
                at["due"] = accept - days(5, 25)
            elif fate == F.CLOSED_EXTENDED:
                at["due"] = accept - days(5, 12)
                at["extension"] = max(self.back(at["due"], 6), self.ahead(ack, 2))
                at["extension_approved"] = self.ahead(at["extension"], 2)
                at["new_due"] = min(far, accept + days(5, 25))
                if at["new_due"] <= at["due"] or at["extension"] >= at["ask"]:
                    n.fate = F.CLOSED_LATE
                    for name in ("extension", "extension_approved", "new_due"):
                        del at[name]
            elif fate == F.REOPENED:
                at["reopen"] = self.back(today, rng.randint(8, 20))
                at["relapse"] = min(today, self.ahead(at["reopen"], 2))
                at["due"] = min(at["due"], at["reopen"] - DAY)
        elif fate == F.NOTICE:
            at["accept"] = self.back(today, rng.randint(1, 2))
            at["ask"] = self.back(at["accept"], 3)
            at["due"] = min(far, today + days(5, 40))
        elif fate == F.OBJECTED:
            at["accept"] = self.back(today, rng.randint(25, 30))
            at["ask"] = self.back(at["accept"], 3)
            at["object"] = self.ahead(at["accept"], 2)
            at["rework"] = min(today, self.ahead(at["object"], 5))
            at["due"] = min(far, today + days(20, 60))
        elif fate == F.ASSIGNED:
            at["due"] = min(far, today + days(30, 150))
        elif fate == F.UNACKNOWLEDGED:
            at["due"] = min(far, today + days(15, 40))
        elif fate == F.DRAFT:
            at["due"] = min(far, start + days(30, 120))
        elif fate == F.SENT_BACK:
            at["due"] = min(far, today + days(60, 150))
        if fate == F.CANCELLED:
            at["cancel"] = min(limit, max(self.back(today, rng.randint(5, 40)), self.ahead(ack, 10)))
        # Under the parent's deadline, whatever the fate's story.
        at["due"] = min(at["due"], far)
        if self.needs_notice(n) and "accept" in at and fate != F.NOTICE:
            concluded = self.ahead(at["accept"], 6)
            if (
                concluded <= min(limit, at.get("object", today), at.get("reopen", today))
                and fate != F.OBJECTED
            ):
                at["concluded"] = concluded
        return at

    def needs_notice(self, n: Node) -> bool:
        """Rectifications of the inspection's problems are published before they close."""
        return n.directive == "inspection" and n.parent is None

    # --- reports ----------------------------------------------------------------------------------

    def last_report(self, n: Node, ack: date, until: date) -> date:
        """The day of the last report: recent enough that the next one is not yet due today."""
        start = n.start_on or ack
        day = max(ack, until - self.days(0, 8))
        while (lights.next_report_due(n.cadence, day, start) or date.max) < self.today and day < until:
            day += DAY
        return day

    def late_report(self, n: Node, ack: date, until: date) -> date | None:
        """The day of a last report old enough that the next one is overdue today (None: the task is too
        young for that)."""
        start = n.start_on or ack
        day = until
        while day > ack and (lights.next_report_due(n.cadence, day, start) or date.max) >= self.today:
            day -= DAY
        if day <= ack:
            return None
        return max(ack + DAY, day - self.days(0, 6))

    def report_days(self, cadence: str, ack: date, last: date, *, most: int) -> list[date]:
        """Up to ``most`` report days, a cadence apart, ending on ``last`` (a few reports show the
        history; more would only slow the demo's loading down)."""
        step = {"weekly": 7, "biweekly": 14, "quarterly": 91}.get(cadence, 30)
        if cadence == "quarterly":
            most = min(most, 2)
        found = [last]
        day = last
        while len(found) < most:
            day -= timedelta(days=step + self.rng.randint(-3, 3))
            if day < ack + timedelta(days=3):
                break
            found.append(day)
        return sorted(found)

    def target_progress(self, n: Node, fate: Fate, due: date) -> tuple[int, str, Fate]:
        """The progress of an open leaf's last report, the tone of its words, and its fate (a fate that
        the dates cannot give falls back to a milder one)."""
        expected = lights.expected_progress(n.start_on or self.today, due, (), self.today)
        if fate == F.RED:
            if expected > 34:
                return max(0, math.floor(expected) - self.rng.randint(34, 50)), "far_behind", fate
            fate = F.YELLOW
        if fate == F.YELLOW:
            if expected >= 25:
                return math.floor(expected) - self.rng.randint(12, 22), "behind", fate
            fate = F.LATE_REPORT
        if fate in (F.OVERDUE, F.EXTENSION_DENIED):
            return self.rng.randint(55, 90), "far_behind", fate
        low = max(0, math.ceil(expected) - 9)
        return min(99, max(low, round(expected) + self.rng.randint(-4, 6))), "good", fate

    def report(
        self,
        n: Node,
        day: date,
        actor: str | None,
        *,
        progress: int | None,
        tone: str,
        since: date | None,
        evidence: float = 0.22,
        phase: bool = False,
    ) -> None:
        narrative, problems, next_steps = words.report_text(self.rng, area=n.area, works=n.works, tone=tone)
        files = self.evidence(n, day, narrative) if self.rng.random() < evidence else ()
        self.emit(
            day,
            "report",
            n,
            actor,
            text=narrative,
            progress=progress,
            problems=problems,
            next_steps=next_steps,
            period_start=since,
            phase=phase,
            files=files,
        )

    def leaf_reports(
        self, n: Node, fate: Fate, ack: date, at: dict[str, date], worker: str | None, limit: date
    ) -> None:
        rng = self.rng
        # The deadline now: moved by an approved extension, not by one still waiting.
        due = at["new_due"] if "extension_approved" in at else at["due"]
        if "ask" in at:
            last = max(ack, self.back(at["ask"], rng.randint(0, 2)))
            final, tone = 100, "done"
        elif "cancel" in at:
            last = max(ack, self.back(at["cancel"], rng.randint(2, 6)))
            final, tone = rng.randint(20, 60), "good"
        else:
            final, tone, fate = self.target_progress(n, fate, due)
            late = self.late_report(n, ack, limit) if fate == F.LATE_REPORT else None
            if fate == F.LATE_REPORT and late is None:
                fate = F.GREEN
            last = late or self.last_report(n, ack, limit)
            n.fate = fate
        days = self.report_days(
            n.cadence, ack, last, most=rng.choice((1, 1, 2) if final == 100 else (1, 2, 2, 3))
        )
        span = max(1, (last - ack).days)
        previous, since = 0, ack
        for index, day in enumerate(days):
            if index == len(days) - 1:
                value = final
            else:
                value = round(final * (day - ack).days / span) + rng.randint(-3, 3)
                value = max(previous, min(final, value))
            is_last = index == len(days) - 1
            self.report(
                n,
                day,
                worker,
                progress=value,
                tone=tone if is_last else "good",
                since=since,
                evidence=0.5 if is_last and final == 100 else 0.18,
                # Long-running work reports its stages as they are completed (阶段办结).
                phase=n.cadence == "quarterly" and is_last and 50 <= value < 100,
            )
            previous, since = value, day + DAY
        for name in ("rework", "rework_again"):
            if name in at:
                self.report(n, at[name], worker, progress=100, tone="rework", since=None, evidence=0.8)
        if "relapse" in at:
            self.report(n, at["relapse"], worker, progress=rng.randint(50, 75), tone="relapse", since=None)

    def parent_reports(self, n: Node, fate: Fate, ack: date, at: dict[str, date], worker: str | None) -> None:
        """The lead unit of a decomposed task sums up now and then (its progress is rolled up)."""
        today = self.today
        if "rework" in at:
            self.emit(at["rework"], "report", n, worker, text=words.summary_text(self.rng, n.works))
        if fate in OPEN_WORK | {F.OVERDUE, F.BLUE} and self.rng.random() < 0.4:
            day = self.back(today, self.rng.randint(2, 20))
            if day > ack:
                self.emit(day, "report", n, worker, text=words.summary_text(self.rng, n.works))

    def cooperation(self, n: Node, ack: date, at: dict[str, date], limit: date) -> None:
        """A cooperating unit reports what it did for the lead unit (without a percentage)."""
        if not n.coop or self.rng.random() > 0.4:
            return
        end = min(limit, self.back(at["ask"], 1) if "ask" in at else self.today)
        if "cancel" in at:
            end = min(end, self.back(at["cancel"], 1))
        day = self.back(end, self.rng.randint(0, 25))
        if day <= ack + timedelta(days=5):
            return
        unit = n.coop[0]
        self.emit(day, "report", n, self.people.lead(unit), text=words.cooperation_text(self.rng, n.works))

    def evidence(self, n: Node, day: date, text: str) -> tuple[EvidenceSpec, ...]:
        rng = self.rng
        on_site = n.area in ("green", "urban") or any(w in n.title for w in ("改造", "整治", "建设", "清理"))
        if on_site and rng.random() < 0.75:
            names = rng.sample(
                ("现场照片.png", "施工现场.png", "整改后现场.png", "检查现场.png"), rng.choice((1, 1, 1, 2))
            )
            return tuple(EvidenceSpec(name, "png", rng.randrange(1 << 30)) for name in names)
        name = rng.choice(("工作台账.pdf", "进展情况说明.pdf", "会议纪要.pdf"))
        return (self.document(n, day, name, text),)

    def document(self, n: Node, day: date, name: str, text: str) -> EvidenceSpec:
        lines = [
            f"任务：{n.title}",
            f"牵头单位：{self.people.name(n.lead)}",
            f"日期：{chinese_date(day)}",
            "",
        ]
        lines += [text[i : i + 34] for i in range(0, len(text), 34)]
        return EvidenceSpec(
            name, "pdf", self.rng.randrange(1 << 30), title=name.removesuffix(".pdf"), lines=tuple(lines)
        )

    # --- decisions --------------------------------------------------------------------------------

    def decisions(self, n: Node, fate: Fate, at: dict[str, date], worker: str | None) -> None:
        """Extensions, completion requests and their verification, objections, cancellation, reopening."""
        rng, people = self.rng, self.people
        decider = people.decider(n.assigning, rng)
        if "extension" in at:
            self.emit(
                at["extension"],
                "extension_request",
                n,
                worker,
                due=at["new_due"] if "new_due" in at else at["due"] + timedelta(days=30),
                text=words.pick(rng, words.EXTENSION_REASONS),
            )
            if "extension_approved" in at:
                self.emit(
                    at["extension_approved"],
                    "extension_approve",
                    n,
                    decider,
                    text=words.pick(rng, words.EXTENSION_APPROVALS),
                )
            if "extension_denied" in at:
                self.emit(
                    at["extension_denied"],
                    "extension_deny",
                    n,
                    decider,
                    text=words.pick(rng, words.EXTENSION_DENIALS),
                )
        if "ask" not in at:
            if "cancel" in at:
                self.emit(at["cancel"], "cancel", n, decider, text=n.reason or "任务调整，经研究不再实施。")
            return
        self.ask(n, at["ask"], worker)
        if "reject" in at:
            self.emit(at["reject"], "reject", n, decider, text=words.pick(rng, words.REJECT_REASONS))
        if "ask_again" in at:
            self.ask(n, at["ask_again"], worker)
        if "reject_again" in at:
            self.emit(at["reject_again"], "reject", n, decider, text=words.pick(rng, words.REJECT_REASONS))
        if "accept" in at:
            self.emit(at["accept"], "accept", n, decider, text=words.pick(rng, words.ACCEPT_NOTES))
        if "object" in at:
            self.emit(at["object"], "object", n, decider, text=words.pick(rng, words.OBJECTIONS))
        if "concluded" in at:
            self.emit(at["concluded"], "conclude", n, decider)
        if "reopen" in at:
            self.emit(at["reopen"], "reopen", n, decider, text=words.pick(rng, words.REOPEN_REASONS))

    def ask(self, n: Node, day: date, worker: str | None) -> None:
        files: tuple[EvidenceSpec, ...] = ()
        if self.rng.random() < 0.45:
            note = "任务已完成，各项指标达到要求，请予审核。"
            files = (self.document(n, day, self.rng.choice(("办结报告.pdf", "验收记录.pdf")), note),)
        self.emit(
            day,
            "request_completion",
            n,
            worker,
            text=words.pick(self.rng, words.COMPLETION_NOTES),
            files=files,
        )
