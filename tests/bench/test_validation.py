"""``dataset.validate`` names every problem precisely, and ``load`` writes nothing from a bad dataset."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from luoshi.bench import dataset
from luoshi.bench.load import load
from luoshi.tasks.models import Task


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(folder: Path) -> list[str]:
    with pytest.raises(dataset.DatasetError) as caught:
        dataset.validate(folder)
    return caught.value.problems


def test_a_missing_file_and_a_missing_column_are_named(tiny_dataset: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_dataset, tmp_path / "d")
    (folder / "reports.csv").unlink()
    _replace(folder / "people.csv", "id,unit_id,username,display_name,role", "id,unit_id,username,role")
    problems = _problems(folder)
    assert "reports.csv: missing" in problems
    assert any(p.startswith("people.csv line 1: missing column(s) display_name") for p in problems)


def test_bad_values_are_named_by_file_line_and_column(tiny_dataset: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_dataset, tmp_path / "d")
    lines = (folder / "tasks.csv").read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[8] = "finished"  # status
    first[12] = "2022-13-40"  # due_on
    lines[1] = ",".join(first)
    # A task whose parent comes after it.
    lines.append("9999,10000,,孤儿任务,green,1,,,in_progress,10,1,2022-01-01,2022-12-31,")
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _replace(folder / "meta.json", '"seed": 7', '"seed": "seven"')
    with pytest.raises(dataset.DatasetError) as caught:
        dataset.validate(folder)
    assert caught.value.problems == ["meta.json: \"seed\" must be an integer when given, not 'seven'"]
    _replace(folder / "meta.json", '"seed": "seven"', '"seed": 7')

    problems = _problems(folder)
    assert any(
        p.startswith("tasks.csv line 2: status must be one of") and "'finished'" in p for p in problems
    )
    assert "tasks.csv line 2: due_on must be a date YYYY-MM-DD, not '2022-13-40'" in problems
    assert any(
        p.startswith(f"tasks.csv line {len(lines)}: parent_id 10000 is not a task listed before")
        for p in problems
    )


def test_progress_on_a_parent_and_a_taken_username_are_refused(tiny_dataset: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_dataset, tmp_path / "d")
    lines = (folder / "tasks.csv").read_text(encoding="utf-8").splitlines()
    root = lines[1].split(",")
    root[9] = "50"
    lines[1] = ",".join(root)
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(dataset.DatasetError) as caught:
        dataset.validate(folder, taken_usernames={"head1"})
    problems = caught.value.problems
    assert (
        f"tasks.csv: task {root[0]} has subtasks, so its progress is rolled up: leave progress empty"
        in problems
    )
    assert "people.csv line 3: username 'head1' is taken" in problems


@pytest.mark.django_db
def test_load_writes_nothing_from_an_invalid_dataset(tiny_dataset: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_dataset, tmp_path / "d")
    _replace(folder / "reports.csv", "2022-", "22-")
    with pytest.raises(dataset.DatasetError):
        load(folder)
    assert not Task.objects.exists()
    with pytest.raises(CommandError, match=r"reports\.csv line 2: reported_on must be a date"):
        call_command("bench", "load", str(folder))
