"""``luoshi bench load``: a generated dataset and a hand-written one load with their trees, roll-up,
search index and one audit event; ``luoshi bench run`` measures them (no timing is asserted)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from luoshi.audit.models import AuditEvent
from luoshi.bench import load as bench_load
from luoshi.bench import run as bench_run
from luoshi.core import trees
from luoshi.organizations.models import Membership, Organization
from luoshi.search.models import SearchEntry
from luoshi.search.selectors import search
from luoshi.supervision.models import AnnouncedLight, Urging
from luoshi.tasks import rollup
from luoshi.tasks.models import ProgressReport, Task
from tests.conftest import ensure_default_ladder

pytestmark = pytest.mark.django_db


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text.strip() + "\n", encoding="utf-8")


@pytest.fixture
def foreign_dataset(tmp_path: Path) -> Path:
    """A small dataset written by hand, as another system would: a party committee, a community,
    ids that do not start at 1, columns in another order, quoted text with commas, a cancelled task."""
    folder = tmp_path / "foreign"
    _write(folder, "meta.json", json.dumps({"name": "hand-written", "today": "2023-03-15"}))
    _write(
        folder,
        "units.csv",
        """
kind,id,parent_id,name,region_code
government,100,,示范县人民政府,
party,101,100,县委办公室,
township,110,100,城关镇,
community,111,110,"幸福社区, 东区",
""",
    )
    _write(
        folder,
        "people.csv",
        """
id,unit_id,username,display_name,role
7,100,county.supervisor,督查员甲,supervisor
8,110,town.handler,经办人乙,handler
9,111,community.handler,Community handler,handler
""",
    )
    _write(
        folder,
        "directives.csv",
        """
id,title,issuer_unit_id,level,kind,doc_number,issued_on
5,县委常委会议定事项,101,district,meeting,,2023-01-05
""",
    )
    _write(
        folder,
        "tasks.csv",
        """
id,parent_id,directive_id,title,focus_area,lead_unit_id,cooperating_unit_ids,handler_id,status,progress,weight,start_on,due_on,closed_on
40,,5,推进城关镇污水管网改造,城市建设管理,110,101,8,in_progress,,1,2023-01-10,2023-06-30,
41,40,5,"幸福社区雨污分流, phase one",城市建设管理,111,,9,in_progress,40,3,2023-01-15,2023-03-10,
42,40,5,东区化粪池清掏,城市建设管理,111,,9,closed,100,1,2023-01-15,2023-02-28,2023-02-20
43,40,5,取消的任务,,111,,,cancelled,0,1,2023-01-15,2023-02-28,
""",
    )
    _write(
        folder,
        "reports.csv",
        """
id,task_id,reporter_id,reported_on,progress,text
900,41,9,2023-02-01,20,"完成管线摸排, ""雨污分流"" survey done"
901,41,9,2023-03-01,40,开挖施工过半
902,42,9,2023-02-18,100,清掏完毕
""",
    )
    return folder


def test_a_hand_written_dataset_loads_with_its_trees_roll_up_and_search(foreign_dataset: Path, city) -> None:
    before = Organization.objects.count()
    result = bench_load.load(foreign_dataset)

    assert result.counts == {
        "units.csv": 4,
        "people.csv": 3,
        "directives.csv": 1,
        "tasks.csv": 4,
        "cooperations": 1,
        "reports.csv": 3,
    }
    assert Organization.objects.count() == before + 4
    county = Organization.objects.get(name="示范县人民政府")
    community = Organization.objects.get(name="幸福社区, 东区")
    # Ids were shifted past the existing units; the paths are built from the stored ids.
    assert community.path == county.path + trees.segment(community.parent_id) + trees.segment(community.pk)
    assert Membership.objects.get(user__username="community.handler").organization == community

    parent = Task.objects.get(title="推进城关镇污水管网改造")
    late, closed, cancelled = (
        Task.objects.get(parent=parent, title__startswith=p) for p in ("幸福", "东区", "取消")
    )
    assert late.assigning_org == parent.lead_org
    assert late.lead_org_path == community.path
    assert list(parent.cooperating_orgs.values_list("name", flat=True)) == ["县委办公室"]
    assert late.last_reported_on.isoformat() == "2023-03-01"
    # Roll-up as of the dataset's today: (3 × 40 + 1 × 100) / 4 = 55; the overdue leaf makes it red.
    assert late.light == "red"
    assert (parent.progress, parent.light) == (55, "red")
    assert closed.light == "closed"
    assert cancelled.light == "none"
    assert list(rollup.check(today=result.today)) == []

    report = ProgressReport.objects.get(narrative__contains="雨污分流")
    assert report.reporting_org == community
    supervisor = Membership.objects.get(user__username="county.supervisor").user
    found = search(supervisor, "雨污分流")
    assert {(h.kind, h.object_id) for h in found.hits} == {("task", late.pk), ("report", report.pk)}

    event = AuditEvent.objects.get(action="bench.load")
    assert event.changes["today"] == "2023-03-15"
    assert event.changes["rows"]["tasks.csv"] == 4


def test_generate_load_run_smoke(tiny_dataset: Path) -> None:
    ensure_default_ladder()
    call_command("bench", "load", str(tiny_dataset))
    assert AuditEvent.objects.filter(action="bench.load").count() == 1
    assert Task.objects.count() > 100
    assert SearchEntry.objects.filter(kind="report").count() == ProgressReport.objects.count()
    assert list(rollup.check()) == []

    report = bench_run.run(ops=["O1", "O2", "O5", "O6", "O8"], repeat=1, say=lambda _text: None)
    rows = {(r["op"], r["case"]): r for r in report["results"]}
    assert report["today"] == "2022-09-30"
    assert {op for op, _ in rows} == {"O1", "O2", "O5", "O6", "O8"}
    for row in report["results"]:
        assert row["status"] == "ok" or row["status"].startswith("not available yet"), row
        if row["status"] == "ok" and row["op"] != "O1":
            assert row["app"]["failures"] == 0, row
    assert rows[("O2", "roll-up check, all tasks")]["facts"]["differences"] == 0
    assert rows[("O2", "roll-up repair, all tasks")]["facts"]["differences after"] == 0
    # The catch-up meets the dataset's past and is kept, as a night's sweep is; the day's second run
    # finds nothing new, and the day is rolled back.
    sweeps = [rows[key]["facts"] for key in rows if key[0] == "O6"]
    assert [facts["created"] > 0 for facts in sweeps] == [True, True, False]
    assert sweeps[0]["acts"]["urgings_issued"]
    # The floor writes the day's rows too, the same urgings and announcements, and nothing the second time.
    day, again_floor = sweeps[1], sweeps[2]
    written = day["floor rows written"]
    assert written[Urging._meta.db_table] == sum(day["acts"]["urgings_issued"].values()) > 0
    assert written[AnnouncedLight._meta.db_table] == day["acts"]["lights_announced"]
    assert again_floor["floor rows written"] == 0
    assert set(Urging.objects.values_list("issued_on", flat=True)) == {date(2022, 9, 29)}
    # A later run finds the catch-up done, and sweeps the same day afresh.
    again = bench_run.run(ops=["O6"], repeat=1, say=lambda _text: None)
    assert [r["facts"]["created"] > 0 for r in again["results"]] == [False, True, False]
    assert set(Urging.objects.values_list("issued_on", flat=True)) == {date(2022, 9, 29)}
    for _, needle in (("", "营商环境"), ("", "drainage")):
        recall = next(r for (op, case), r in rows.items() if op == "O8" and needle in case)["facts"]["recall"]
        assert recall in {"100.0 %", "n/a (no match)"}
    assert "| O5 | ledger API" in bench_run.format_table(report)
