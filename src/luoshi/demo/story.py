"""The vocabulary of the demo's history: the fates a task can come to, the tasks to be (``Node``), the
acts on them (``Event``), and who acts for each unit of the demo city (``People``).

``luoshi.demo.tasktree`` builds the tasks and draws their fates, ``luoshi.demo.history`` dates their
history, ``luoshi.demo.plan`` puts the two together and ``luoshi.demo.work`` replays the acts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from random import Random

from luoshi.demo import city
from luoshi.organizations.models import Role

SEED = 2022
# The meeting is about five months old, the inspection's feedback a month younger.
MEETING_DAYS_AGO = 150
INSPECTION_DAYS_AGO = 125
DAY = timedelta(days=1)

# Where districts and townships pass work down (the demo city's streets, townships and villages).
STREETS = {
    "tiexi": ("tiexi_xingsheng", "tiexi_fanrong", "tiexi_yongle"),
    "qianshan": ("qianshan_ganquan", "qianshan_datun", "qianshan_tangjiafang"),
}
VILLAGES = {
    "tiexi_xingsheng": ("xingsheng_guangming",),
    "qianshan_ganquan": ("ganquan_nangou", "ganquan_houying"),
}
BRANCHES = ("ecology_tiexi", "ecology_tiedong", "ecology_lishan")
CITY_SUPERVISORS = ("zhaomin", "zhaomin", "qianlihua")
SUB_OUTCOME = "按时限完成并报送工作总结和佐证材料。"


class PlanError(RuntimeError):
    """The tables ask for something the demo city cannot do (a unit with nobody to act for it…)."""


class Fate(StrEnum):
    """Where a task stands today, and how it got there."""

    GREEN = "green"
    YELLOW = "yellow"  # 12–25 points behind its expected progress
    LATE_REPORT = "late_report"  # on track, but its report for this period has not come
    RED = "red"  # more than 30 points behind
    OVERDUE = "overdue"
    BLUE = "blue"  # due within three working days
    EXTENDED = "extended"  # an extension was approved; on track against the new deadline
    EXTENSION_PENDING = "extension_pending"
    EXTENSION_DENIED = "extension_denied"  # denied, and now overdue
    REVIEW = "review"  # completion asked for, waiting for the verification
    RETURNED = "returned"  # rejected once, being reworked
    RETURNED_TWICE = "returned_twice"  # rejected twice: red
    CLOSED = "closed"
    CLOSED_LATE = "closed_late"
    CLOSED_REJECTED = "closed_rejected"  # rejected once, then accepted
    CLOSED_EXTENDED = "closed_extended"  # extended, then closed after the original deadline: late
    REOPENED = "reopened"  # closed, then reopened at the look-back: red
    NOTICE = "notice"  # accepted rectification in its public notice
    OBJECTED = "objected"  # an objection during the notice sent it back to work
    ASSIGNED = "assigned"  # assigned in the last days, not yet acknowledged
    UNACKNOWLEDGED = "unacknowledged"  # assigned weeks ago and still not acknowledged
    DRAFT = "draft"  # registered, to be assigned later
    SENT_BACK = "sent_back"  # sent back as not the unit's own; waiting to be re-routed
    TRANSFERRED = "transferred"  # sent back, transferred to the right unit, under way there
    CANCELLED = "cancelled"


F = Fate
OPEN_WORK = frozenset({F.GREEN, F.YELLOW, F.LATE_REPORT, F.RED, F.TRANSFERRED})
NOT_STARTED = frozenset({F.ASSIGNED, F.UNACKNOWLEDGED, F.DRAFT, F.SENT_BACK})
# The task asked for completion at some point: its subtasks were all closed before that.
ASKED = frozenset(
    {
        F.REVIEW,
        F.RETURNED,
        F.RETURNED_TWICE,
        F.CLOSED,
        F.CLOSED_LATE,
        F.CLOSED_REJECTED,
        F.CLOSED_EXTENDED,
        F.NOTICE,
        F.OBJECTED,
    }
)
CLOSING = frozenset({F.CLOSED, F.CLOSED_LATE, F.CLOSED_REJECTED, F.CLOSED_EXTENDED})

PARENT_FATES = {
    F.GREEN: 70,
    F.CLOSED: 10,
    F.CLOSED_LATE: 3,
    F.CLOSED_REJECTED: 2,
    F.REVIEW: 6,
    F.RETURNED: 2,
    F.OVERDUE: 3,
    F.BLUE: 4,
}
LEAF_FATES = {
    F.GREEN: 30,
    F.YELLOW: 7,
    F.LATE_REPORT: 6,
    F.RED: 5,
    F.OVERDUE: 4,
    F.BLUE: 7,
    F.EXTENDED: 2,
    F.EXTENSION_PENDING: 1,
    F.EXTENSION_DENIED: 1,
    F.REVIEW: 5,
    F.RETURNED: 3,
    F.RETURNED_TWICE: 1,
    F.CLOSED: 15,
    F.CLOSED_LATE: 4,
    F.CLOSED_REJECTED: 3,
    F.CLOSED_EXTENDED: 1,
    F.REOPENED: 1,
    F.ASSIGNED: 4,
    F.UNACKNOWLEDGED: 2,
    F.DRAFT: 2,
    F.CANCELLED: 2,
}
DONE_CHILD_FATES = {F.CLOSED: 70, F.CLOSED_LATE: 15, F.CLOSED_REJECTED: 15}
# Fates every build must show at least once (on a leaf), whatever the draw.
MUST_SHOW = tuple(f for f in LEAF_FATES if f != F.GREEN)
SCRIPTED = {
    "notice": F.NOTICE,
    "closed": F.CLOSED,
    "objected": F.OBJECTED,
    "review": F.REVIEW,
    "overdue": F.OVERDUE,
    "long": F.GREEN,
    "sent_back": F.SENT_BACK,
    "transferred": F.TRANSFERRED,
    "cancelled": F.CANCELLED,
}


@dataclass(eq=False)
class Node:
    """One task to be, before it exists: what it says, who gives it to whom, and its fate."""

    key: str
    directive: str  # "meeting" or "inspection"
    clause: int  # the clause's ordinal
    area: str
    works: tuple[str, ...]
    title: str
    description: str
    outcome: str
    assigning: str  # unit keys (luoshi.demo.city.UNITS)
    lead: str
    coop: tuple[str, ...] = ()
    cadence: str = "monthly"
    weight: int = 1
    priority: int = 1
    tags: tuple[str, ...] = ()
    fate: Fate = F.GREEN
    long: bool = False  # long-running: due at the end of next year, reported quarterly
    reason: str = ""  # why it was sent back or cancelled (the clause's extras)
    transfer_to: str = ""
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    start_on: date | None = None
    due_on: date | None = None

    @property
    def kept(self) -> bool:
        """The assigning unit keeps the task for itself (starts it; nobody acknowledges it)."""
        return self.lead == self.assigning

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class EvidenceSpec:
    """An evidence file to make: a site photo (``png``) or a one-page document (``pdf``)."""

    name: str
    kind: str
    seed: int
    title: str = ""
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    """One act on a task, on ``day``, by ``actor`` (a username); ``seq`` orders the acts of one day."""

    day: date
    seq: int
    act: str
    node: Node
    actor: str
    text: str = ""
    progress: int | None = None
    problems: str = ""
    next_steps: str = ""
    period_start: date | None = None
    phase: bool = False
    files: tuple[EvidenceSpec, ...] = ()
    unit: str = ""  # transfer: the new unit; set_people: whose people
    due: date | None = None  # extension request: the deadline asked for


class People:
    """Who acts for each unit, read from the demo city's tables (so planning needs no database)."""

    def __init__(self) -> None:
        self.roles: dict[str, dict[str, list[str]]] = {}
        for person in city.PEOPLE:
            self.roles.setdefault(person.unit, {}).setdefault(person.role, []).append(person.username)
        self.parent = {u.key: u.parent for u in city.UNITS}
        self.units = {u.key: u for u in city.UNITS}

    def _first(self, unit: str, *roles: str) -> str | None:
        for role in roles:
            found = self.roles.get(unit, {}).get(role)
            if found:
                return found[0]
        return None

    def lead(self, unit: str) -> str | None:
        """Who acknowledges, reports and asks for completion for ``unit`` (its handler, else its head)."""
        return self._first(unit, Role.HANDLER, Role.HEAD)

    def assigner(self, unit: str) -> str:
        if unit == "city":
            return "zhaomin"
        person = self._first(unit, Role.HANDLER, Role.HEAD, Role.LEADER)
        if person is None:
            raise PlanError(f"Nobody in {unit} may assign its work.")
        return person

    def decider(self, unit: str, rng: Random) -> str:
        """Who verifies and decides for ``unit``: the city's supervisors, a district's supervisor or
        leader, a bureau's or township's head."""
        if unit == "city":
            return rng.choice(CITY_SUPERVISORS)
        person = self._first(unit, Role.SUPERVISOR, Role.HEAD, Role.LEADER)
        if person is None:
            raise PlanError(f"Nobody in {unit} may decide on its work.")
        return person

    def responsible(self, unit: str) -> str | None:
        """The responsible leader: the unit's leader or head, else the nearest one above."""
        current: str | None = unit
        while current is not None:
            person = self._first(current, Role.LEADER, Role.HEAD)
            if person:
                return person
            current = self.parent[current]
        return None

    def short(self, unit: str) -> str:
        return self.units[unit].short_name or self.units[unit].name

    def name(self, unit: str) -> str:
        return self.units[unit].name


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
