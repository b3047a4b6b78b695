"""The demo's tasks before they exist: a tree per clause of the two directives, and the fate of each task.

A clause gives its lead bureau's task (with the bureau's own sub-items, or the ecology bureau's district
branches), one task per district named in the clause (split for the district's streets or townships, and
theirs for communities and villages), and the clause's extras (a task sent back, transferred, cancelled).
Fates are drawn with the shared seeded generator, under rules that keep them possible: a task that asked
for completion has only closed subtasks; work waiting for a unit with nobody to take it up sits only under
work that is on track.
"""

from __future__ import annotations

from random import Random

from luoshi.demo import workdata
from luoshi.demo.story import (
    ASKED,
    BRANCHES,
    DONE_CHILD_FATES,
    LEAF_FATES,
    MUST_SHOW,
    OPEN_WORK,
    PARENT_FATES,
    SCRIPTED,
    STREETS,
    SUB_OUTCOME,
    VILLAGES,
    F,
    Fate,
    Node,
    People,
)


class TreeBuilder:
    def __init__(self, rng: Random, people: People) -> None:
        self.rng = rng
        self.people = people
        # Tasks whose fate the tables fix (the inspection's problems, the clauses' extras).
        self.scripted: set[str] = set()

    def build(self) -> list[Node]:
        """Every root task of both directives, with its subtasks, each with its fate."""
        roots: list[Node] = []
        for ordinal, spec in enumerate(workdata.CLAUSES, start=1):
            if spec.lead:
                roots += self.clause_tasks("meeting", ordinal, spec)
        for ordinal, spec in enumerate(workdata.PROBLEMS, start=1):
            roots += self.clause_tasks("inspection", ordinal, spec)
        for root in roots:
            self.choose_fate(root)
        self.show_every_fate(roots)
        return roots

    # --- trees ------------------------------------------------------------------------------------

    def numbered(self, template: str, unit: str, numbers: tuple[int, int]) -> str:
        low, high = numbers
        return template.format(unit=self.people.short(unit), n=self.rng.randint(low, high))

    def clause_tasks(self, directive: str, ordinal: int, spec: workdata.ClauseSpec) -> list[Node]:
        """The clause's main task for its lead bureau, one task per district, and the extras."""
        people = self.people
        source = (
            f"市政府扩大会议议定事项第{ordinal}条"
            if directive == "meeting"
            else f"省生态环境保护督察反馈问题{ordinal}"
        )
        shared = {
            "directive": directive,
            "clause": ordinal,
            "area": spec.area,
            "works": spec.works,
            "cadence": spec.cadence,
            "priority": spec.priority,
        }
        key = f"{directive}{ordinal}"
        main = Node(
            key=f"{key}.{spec.lead}",
            title=spec.title,
            description=f"落实{source}：{spec.text}",
            outcome=spec.outcome,
            assigning="city",
            lead=spec.lead,
            coop=spec.coop,
            tags=spec.tags,
            fate=SCRIPTED.get(spec.fate, F.GREEN),
            long=spec.fate == "long",
            **shared,  # type: ignore[arg-type]
        )
        if spec.fate:
            self.scripted.add(main.key)
        for item in spec.items:
            self.add(
                main,
                Node(
                    key=f"{main.key}.{len(main.children)}",
                    title=item,
                    description=f"“{spec.title}”的分解任务，由{people.name(spec.lead)}内部落实。",
                    outcome=SUB_OUTCOME,
                    assigning=spec.lead,
                    lead=spec.lead,
                    **shared,  # type: ignore[arg-type]
                ),
            )
        for branch in BRANCHES if spec.branches else ():
            self.add(
                main,
                Node(
                    key=f"{main.key}.{branch}",
                    title=spec.branches.format(unit=people.short(branch)),
                    description=f"“{spec.title}”的分解任务，由{people.name(branch)}负责本辖区。",
                    outcome="辖区内问题按时限整改到位，报送整改台账和现场照片。",
                    assigning=spec.lead,
                    lead=branch,
                    **shared,  # type: ignore[arg-type]
                ),
            )
        roots = [main]
        low, high = spec.numbers
        smaller = (max(1, low // 3), max(2, high // 3))
        for district in spec.districts:
            title = self.numbered(spec.local, district, spec.numbers)
            local = Node(
                key=f"{key}.{district}",
                title=title,
                description=f"落实{source}，由{people.name(district)}负责本辖区任务：{spec.text}",
                outcome=f"按期完成“{title}”，报送完成情况和佐证材料。",
                assigning="city",
                lead=district,
                coop=(spec.lead,)
                if people.units[spec.lead].kind == "department" and self.rng.random() < 0.5
                else (),
                tags=spec.tags,
                **shared,  # type: ignore[arg-type]
            )
            roots.append(local)
            if spec.down and district not in STREETS:
                # A district without streets in the demo keeps the step for its own office.
                self.add(
                    local,
                    Node(
                        key=f"{local.key}.own",
                        title=self.numbered(spec.down, district, smaller),
                        description=f"“{title}”的分解任务，由{people.name(district)}直接组织实施。",
                        outcome=SUB_OUTCOME,
                        assigning=district,
                        lead=district,
                        **shared,  # type: ignore[arg-type]
                    ),
                )
            for street in STREETS.get(district, ()) if spec.down else ():
                # Units with nobody to acknowledge get work now and then: it waits for them, visibly.
                if not people.lead(street) and self.rng.random() > 0.35:
                    continue
                down = Node(
                    key=f"{local.key}.{street}",
                    title=self.numbered(spec.down, street, smaller),
                    description=f"“{title}”的分解任务，由{people.name(street)}组织实施。",
                    outcome=SUB_OUTCOME,
                    assigning=district,
                    lead=street,
                    **shared,  # type: ignore[arg-type]
                )
                self.add(local, down)
                for village in VILLAGES.get(street, ()) if spec.village else ():
                    if not people.lead(village) and self.rng.random() > 0.35:
                        continue
                    self.add(
                        down,
                        Node(
                            key=f"{down.key}.{village}",
                            title=self.numbered(spec.village, village, smaller),
                            description=f"“{down.title}”的分解任务，由{people.name(village)}落实。",
                            outcome="完成后报送工作记录和现场照片。",
                            assigning=street,
                            lead=village,
                            **shared,  # type: ignore[arg-type]
                        ),
                    )
        for extra in spec.extras:
            task = Node(
                key=f"{key}.extra.{extra.lead}",
                title=extra.title,
                description=f"落实{source}：{spec.text}",
                outcome="按时限完成并报送完成情况和佐证材料。",
                assigning="city",
                lead=extra.lead,
                fate=SCRIPTED[extra.fate],
                reason=extra.reason,
                transfer_to=extra.to,
                **shared,  # type: ignore[arg-type]
            )
            self.scripted.add(task.key)
            for item in extra.items:
                self.add(
                    task,
                    Node(
                        key=f"{task.key}.{len(task.children)}",
                        title=item,
                        description=f"“{extra.title}”的分解任务。",
                        outcome=SUB_OUTCOME,
                        assigning=extra.lead,
                        lead=extra.lead,
                        **shared,  # type: ignore[arg-type]
                    ),
                )
            roots.append(task)
        return roots

    def add(self, parent: Node, child: Node) -> None:
        child.parent = parent
        child.cadence = parent.cadence
        child.priority = parent.priority
        child.weight = self.rng.choice((1, 1, 1, 2, 2, 3))
        parent.children.append(child)

    # --- fates ------------------------------------------------------------------------------------

    def draw(self, weights: dict[Fate, int]) -> Fate:
        fates = list(weights)
        return self.rng.choices(fates, weights=[weights[f] for f in fates])[0]

    def choose_fate(self, node: Node) -> None:
        parent = node.parent
        if node.key in self.scripted:
            pass
        elif not self.people.lead(node.lead):
            # Nobody there to acknowledge it: it waits, and the light says so.
            node.fate = self.draw({F.ASSIGNED: 1, F.UNACKNOWLEDGED: 1})
            node.children = []
        elif parent is not None and parent.fate in ASKED:
            node.fate = self.draw(DONE_CHILD_FATES)
        elif parent is not None and parent.fate == F.CANCELLED:
            node.fate = F.GREEN
        elif node.children:
            node.fate = self.draw(PARENT_FATES)
        else:
            node.fate = self.draw(LEAF_FATES)
        if node.kept and node.fate in (F.ASSIGNED, F.UNACKNOWLEDGED):
            node.fate = F.GREEN
        if node.parent is None and node.fate == F.GREEN and not node.long:
            node.long = node.cadence == "quarterly" or self.rng.random() < 0.2
        if node.long:
            node.cadence = "quarterly"
        if not self.on_track(node):
            # Work waiting for a unit with nobody to take it up fits only under work that is on track
            # (not under one that asked for completion, nor under a deadline that has nearly come).
            node.children = [c for c in node.children if self.people.lead(c.lead)]
        for child in node.children:
            if node.long and child.cadence == "monthly":
                child.cadence = "quarterly"
            self.choose_fate(child)

    def on_track(self, node: Node | None) -> bool:
        """Whether the task and every task above it are on track (their deadlines leave room)."""
        while node is not None:
            if node.fate not in OPEN_WORK:
                return False
            node = node.parent
        return True

    def keeps_fate(self, node: Node) -> bool:
        """Whether the node's fate survives its parent's deadline (see ``feasible``)."""
        parent = node.parent
        if parent is None:
            return True
        if not self.on_track(parent):
            return node.fate in ASKED or node.fate in (F.OVERDUE, F.CANCELLED)
        if node.fate == F.EXTENDED:
            return any(a.long for a in [parent, *self.ancestors(parent)])
        return True

    def ancestors(self, node: Node) -> list[Node]:
        found = []
        while node.parent is not None:
            node = node.parent
            found.append(node)
        return found

    def show_every_fate(self, roots: list[Node]) -> None:
        """Turn a few on-track leaves into the fates the draw happened to miss."""
        leaves = [n for root in roots for n in root.walk() if not n.children]
        present = {n.fate for n in leaves if self.keeps_fate(n)}
        for fate in MUST_SHOW:
            if fate in present:
                continue
            candidates = [
                n
                for n in leaves
                if n.fate == F.GREEN
                and n.key not in self.scripted
                # Under no deadline at all: every fate's dates fit.
                and n.parent is None
                and self.people.lead(n.lead)
                and not (n.kept and fate in (F.ASSIGNED, F.UNACKNOWLEDGED))
            ]
            if candidates:
                self.rng.choice(candidates).fate = fate
