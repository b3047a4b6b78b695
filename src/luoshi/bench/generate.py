"""``luoshi bench generate``: a synthetic province, city or tiny dataset in the benchmark format.

Deterministic for a seed (one ``random.Random`` drives every choice, in a fixed order) and streamed:
rows go to the CSV files as they are made, so memory holds the unit tree and one task subtree at a time,
not a million tasks.

Shape (``SCALES``): a root government, cities, districts, townships (the jurisdictions the work is
assigned down), departments beside each city and district government; ten directives issued by the root;
each directive's tasks assigned down every jurisdiction level, then split inside the township until the
tree is six levels deep, plus one task per assignment led by a department of the assigning government.
Leaves carry about six progress reports each; deadlines fall around the frozen "today".
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from luoshi.bench import dataset

DEFAULT_TODAY = date(2022, 9, 30)
DEFAULT_SEED = 42
TASK_LEVELS = 6


@dataclass(frozen=True)
class Scale:
    """``tree``: children per jurisdiction below the root, level by level (cities, districts, townships);
    ``departments``: departments per government at each of those levels (root first); ``top``: level-1
    tasks per directive; the in-unit splits fill the tree to ``TASK_LEVELS`` levels."""

    tree: tuple[int, ...]
    departments: tuple[int, ...]
    top: int
    splits: tuple[int, ...]
    directives: int = 10
    reports: tuple[int, int] = (4, 8)


SCALES: dict[str, Scale] = {
    # 1 → 2 → 2 townships each; ~150 tasks, ~400 reports: seconds.
    "tiny": Scale(tree=(2, 2), departments=(2, 1, 0), top=2, splits=(2, 2, 1), directives=2),
    # One city: 6 districts, 48 townships, 96 departments; ~80,000 tasks, ~300,000 reports.
    "city": Scale(tree=(6, 8), departments=(24, 12, 0), top=4, splits=(3, 3, 3)),
    # 1 province → 14 cities → 84 districts → 672 townships, 1,344 departments; ~1.1M tasks, ~5M reports.
    "province": Scale(tree=(14, 6, 8), departments=(0, 24, 12, 0), top=10, splits=(3, 4)),
}

FOCUS_AREAS = (
    ("innovation", "科技创新", "innovation"),
    ("industry", "产业转型", "industrial transformation"),
    ("green", "绿色发展", "green development"),
    ("urban", "城市建设管理", "urban construction"),
    ("livelihood", "民生保障", "people's livelihood"),
)
# Work items per focus area: (Chinese, English). O8 searches some of these words.
WORK = {
    "innovation": (
        ("科技企业孵化", "incubator"),
        ("研发投入", "R&D spending"),
        ("数字政府", "digital government"),
    ),
    "industry": (
        ("营商环境", "business environment"),
        ("老工业基地振兴", "revitalization"),
        ("招商引资", "investment"),
    ),
    "green": (("大气污染防治", "air quality"), ("河长制", "river chief"), ("节能降耗", "energy saving")),
    "urban": (
        ("老旧小区改造", "old housing renovation"),
        ("排水管网", "drainage"),
        ("城市更新", "urban renewal"),
    ),
    "livelihood": (
        ("养老服务", "elderly care"),
        ("义务教育", "compulsory education"),
        ("就业帮扶", "employment"),
    ),
}
STEPS = ("摸底排查", "方案制定", "组织实施", "督导检查", "验收总结", "巩固提升")
PROBLEMS = ("资金到位偏慢", "部门协调不畅", "施工受天气影响", "群众诉求较多", "")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
DEPARTMENTS = (
    "发展和改革委员会",
    "工业和信息化局",
    "生态环境局",
    "住房和城乡建设局",
    "教育局",
    "民政局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "交通运输局",
    "水务局",
    "农业农村局",
    "商务局",
    "文化旅游局",
    "卫生健康委员会",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "城市管理局",
    "科学技术局",
    "营商环境建设局",
    "督查室",
)
REGION_PREFIX = 21  # a province code (辽宁) for region codes; cities 21xx00, districts 21xxyy.


@dataclass
class Unit:
    id: int
    kind: str
    name: str
    children: list[Unit] = field(default_factory=list)
    departments: list[Unit] = field(default_factory=list)
    people: dict[str, int] = field(default_factory=dict)


class _Writer:
    """One CSV file per table, written row by row, with an id counter per table."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._handles = {}
        self._writers: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        for name, columns in dataset.COLUMNS.items():
            handle = (folder / name).open("w", encoding="utf-8", newline="")
            self._handles[name] = handle
            self._writers[name] = csv.writer(handle, lineterminator="\n")
            self._writers[name].writerow(columns)
            self.counts[name] = 0

    def add(self, name: str, *values: Any) -> int:
        self.counts[name] += 1
        row_id = self.counts[name]
        self._writers[name].writerow((row_id, *("" if v is None else v for v in values)))
        return row_id

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()


class Generator:
    def __init__(self, scale: Scale, seed: int, today: date, out: Path) -> None:
        self.scale = scale
        self.random = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.today = today
        self.out = out
        self.writer = _Writer(out)

    # --- units and people ---

    def _person_name(self) -> str:
        return self.random.choice(SURNAMES) + "".join(self.random.choices(GIVEN, k=self.random.randint(1, 2)))

    def _unit(self, parent: Unit | None, kind: str, name: str, region_code: str = "") -> Unit:
        unit_id = self.writer.add("units.csv", parent.id if parent else None, name, kind, region_code)
        unit = Unit(id=unit_id, kind=kind, name=name)
        roles = ("leader", "head", "handler", "supervisor") if kind != "department" else ("head", "handler")
        for role in roles:
            # Usernames are ASCII and unique: role and unit id.
            unit.people[role] = self.writer.add(
                "people.csv", unit_id, f"{role}{unit_id}", self._person_name(), role
            )
        if parent is not None:
            (parent.departments if kind == "department" else parent.children).append(unit)
        return unit

    def _departments(self, government: Unit, count: int, prefix: str) -> None:
        for name in DEPARTMENTS[:count]:
            self._unit(government, "department", f"{prefix}{name}")

    def build_units(self) -> Unit:
        scale = self.scale
        levels = len(scale.tree)
        province = levels == 3
        root_name = "辽东省人民政府" if province else "鞍山市人民政府"
        root_code = f"{REGION_PREFIX}0000" if province else f"{REGION_PREFIX}0300"
        root = self._unit(None, "government", root_name, root_code)
        self._departments(root, scale.departments[0], "省" if province else "市")
        frontier = [(root, root_code)]
        for level, fanout in enumerate(scale.tree, start=1):
            kind = "township" if level == levels else ("district" if level == levels - 1 else "government")
            following = []
            for parent, code in frontier:
                for n in range(1, fanout + 1):
                    if kind == "government":  # a city of the province
                        child_code = f"{REGION_PREFIX}{n:02d}00"
                        name = f"第{n}市人民政府"
                    elif kind == "district":
                        child_code = f"{code[:4]}{n:02d}"
                        name = f"{parent.name.removesuffix('人民政府')}第{n}区"
                    else:  # townships have nine-digit codes, which the six-digit column does not hold
                        child_code = ""
                        name = f"{parent.name}第{n}街道"
                    child = self._unit(parent, kind, name, child_code)
                    count = scale.departments[level] if level < len(scale.departments) else 0
                    self._departments(child, count, child.name.removesuffix("人民政府"))
                    following.append((child, child_code))
            frontier = following
        return root

    # --- directives and tasks ---

    def _title(self, area: str, step: int, place: str) -> str:
        work_zh, work_en = self.random.choice(WORK[area])
        zh = f"{place}{work_zh}{STEPS[step % len(STEPS)]}"
        if self.random.random() < 0.25:
            return f"{zh} ({work_en})"[:200]
        return zh[:200]

    def _dates(self, parent: tuple[date, date] | None) -> tuple[date, date]:
        if parent is None:
            start = self.today - timedelta(days=self.random.randint(60, 300))
            due = self.today + timedelta(days=self.random.randint(-20, 180))
        else:
            p_start, p_due = parent
            start = p_start + timedelta(days=self.random.randint(0, 20))
            due = p_due - timedelta(days=self.random.randint(0, 30))
        # Many deadlines land in the weeks around today, so lights and sweeps have work.
        if self.random.random() < 0.3:
            due = self.today + timedelta(days=self.random.randint(-15, 10))
        if due < start:
            due = start + timedelta(days=self.random.randint(0, 30))
        return start, due

    def _leaf_state(self, start: date, due: date) -> tuple[str, int, date | None]:
        roll = self.random.random()
        if start > self.today:
            return "assigned", 0, None
        if roll < 0.12:
            closed_on = min(self.today, due + timedelta(days=self.random.randint(-20, 5)))
            return "closed", 100, max(closed_on, start)
        if roll < 0.16:
            return "assigned", 0, None
        if roll < 0.19:
            return "under_review", 100, None
        if roll < 0.21:
            return "returned", self.random.randint(60, 95), None
        if roll < 0.215:
            return "cancelled", self.random.randint(0, 40), None
        span = max((due - start).days, 1)
        elapsed = min(max((self.today - start).days, 0), span)
        expected = round(100 * elapsed / span)
        return "in_progress", max(0, min(100, expected + self.random.randint(-45, 15))), None

    def _reports(
        self, task_id: int, reporter: int, start: date, due: date, progress: int, place: str, area: str
    ) -> None:
        low, high = self.scale.reports
        count = self.random.randint(low, high)
        last = min(self.today, due)
        span = max((last - start).days, 1)
        work_zh, work_en = self.random.choice(WORK[area])
        for n in range(1, count + 1):
            reported_on = start + timedelta(days=span * n // count)
            share = progress * n // count
            problem = self.random.choice(PROBLEMS)
            text = f"{place}{work_zh}第{n}阶段：已完成{share}%，{STEPS[n % len(STEPS)]}推进顺利。"
            if problem:
                text += f"存在问题：{problem}。"
            if self.random.random() < 0.4:
                text += f' Phase {n}: "{work_en}" at {share}%, on schedule.'
            self.writer.add("reports.csv", task_id, reporter, reported_on.isoformat(), share, text)

    def _task(
        self,
        *,
        parent_id: int | None,
        directive_id: int,
        area: str,
        lead: Unit,
        level: int,
        dates: tuple[date, date],
        leaf: bool,
        cooperating: list[Unit],
    ) -> int:
        start, due = dates
        status, progress, closed_on = ("in_progress", 0, None)
        if leaf:
            status, progress, closed_on = self._leaf_state(start, due)
        elif start > self.today:
            status = "assigned"
        task_id = self.writer.add(
            "tasks.csv",
            parent_id,
            directive_id,
            self._title(area, level, lead.name.removesuffix("人民政府")),
            area,
            lead.id,
            ";".join(str(u.id) for u in cooperating),
            lead.people["handler"],
            status,
            progress if leaf else None,
            self.random.choice((1, 1, 1, 2, 3)),
            start.isoformat(),
            due.isoformat(),
            closed_on.isoformat() if closed_on else None,
        )
        if leaf and status in {"in_progress", "returned", "under_review", "closed"}:
            self._reports(task_id, lead.people["handler"], start, due, progress, lead.name, area)
        return task_id

    def _cooperating(self, government: Unit) -> list[Unit]:
        if not government.departments or self.random.random() > 0.25:
            return []
        return self.random.sample(
            government.departments, k=min(len(government.departments), self.random.randint(1, 2))
        )

    def _assign(
        self,
        *,
        parent_id: int,
        directive_id: int,
        area: str,
        unit: Unit,
        level: int,
        dates: tuple[date, date],
    ) -> None:
        """Tasks under ``parent_id`` (led by ``unit``): one per child jurisdiction, one for a department,
        or, below the last jurisdiction, the in-unit split."""
        if level > TASK_LEVELS:
            return
        if unit.children:
            for child in unit.children:
                self._subtree(parent_id, directive_id, area, child, level, dates)
            if unit.departments:
                department = self.random.choice(unit.departments)
                self._task(
                    parent_id=parent_id,
                    directive_id=directive_id,
                    area=area,
                    lead=department,
                    level=level,
                    dates=self._dates(dates),
                    leaf=True,
                    cooperating=[],
                )
            return
        split = self.scale.splits[min(level - self._first_split, len(self.scale.splits) - 1)]
        for _ in range(split):
            self._subtree(parent_id, directive_id, area, unit, level, dates)

    def _subtree(
        self,
        parent_id: int,
        directive_id: int,
        area: str,
        unit: Unit,
        level: int,
        parent_dates: tuple[date, date],
    ) -> None:
        dates = self._dates(parent_dates)
        leaf = level == TASK_LEVELS
        task_id = self._task(
            parent_id=parent_id,
            directive_id=directive_id,
            area=area,
            lead=unit,
            level=level,
            dates=dates,
            leaf=leaf,
            cooperating=self._cooperating(unit),
        )
        if not leaf:
            self._assign(
                parent_id=task_id,
                directive_id=directive_id,
                area=area,
                unit=unit,
                level=level + 1,
                dates=dates,
            )

    def run(self) -> dict[str, int]:
        root = self.build_units()
        # The first level at which tasks stay inside one unit (below the townships).
        self._first_split = len(self.scale.tree) + 2
        kinds = ("document", "meeting", "speech", "instruction", "inspection")
        for d in range(1, self.scale.directives + 1):
            area = FOCUS_AREAS[(d - 1) % len(FOCUS_AREAS)][0]
            issued = self.today - timedelta(days=self.random.randint(90, 330))
            directive_id = self.writer.add(
                "directives.csv",
                f"关于{FOCUS_AREAS[(d - 1) % len(FOCUS_AREAS)][1]}的实施意见（{d}） Implementation plan {d}",
                root.id,
                "provincial" if len(self.scale.tree) == 3 else "municipal",
                kinds[(d - 1) % len(kinds)],
                f"辽政发〔{issued.year}〕{d}号",
                issued.isoformat(),
            )
            for _ in range(self.scale.top):
                self._subtree_root(directive_id, area, root)
        self.writer.close()
        return dict(self.writer.counts)

    def _subtree_root(self, directive_id: int, area: str, root: Unit) -> None:
        dates = self._dates(None)
        task_id = self._task(
            parent_id=None,
            directive_id=directive_id,
            area=area,
            lead=root,
            level=1,
            dates=dates,
            leaf=False,
            cooperating=self._cooperating(root),
        )
        self._assign(parent_id=task_id, directive_id=directive_id, area=area, unit=root, level=2, dates=dates)


def generate(
    *, scale: str, out: Path, seed: int = DEFAULT_SEED, today: date = DEFAULT_TODAY
) -> dict[str, int]:
    """Write the dataset of ``scale`` to ``out`` and return the rows per file."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    counts = Generator(SCALES[scale], seed, today, out).run()
    dataset.write_meta(out, {"name": scale, "today": today.isoformat(), "seed": seed})
    return counts


def iter_scales() -> Iterator[str]:
    return iter(SCALES)
