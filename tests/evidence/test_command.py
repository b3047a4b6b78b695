"""``luoshi evidence orphans`` and ``luoshi evidence verify``."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from luoshi.evidence import services
from luoshi.evidence.models import EvidenceFile
from luoshi.tasks.models import Task
from tests.conftest import City
from tests.evidence import samples
from tests.evidence.conftest import stored_files, upload

DAY = 24 * 3600


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("evidence", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def stray(evidence_dir: Path, name: str, *, age_seconds: int) -> Path:
    path = evidence_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"left by a crash")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


@pytest.fixture
def kept(city: City, task: Task) -> EvidenceFile:
    [row] = services.evidence_attach(actor=city.wang, task=task, files=[upload("a.pdf", samples.pdf())])
    return row


def test_orphans_lists_files_without_rows(evidence_dir: Path, kept: EvidenceFile) -> None:
    stray(evidence_dir, "ab/cd/abcd0000000000000000000000000000.pdf", age_seconds=2 * DAY)
    stray(evidence_dir, "ab/cd/.partial-x1y2", age_seconds=2 * DAY)

    out, err = run("orphans")

    assert out.splitlines() == ["ab/cd/.partial-x1y2", "ab/cd/abcd0000000000000000000000000000.pdf"]
    assert "Found 2 orphan files." in err
    assert len(stored_files(evidence_dir)) == 3


def test_orphans_leaves_recent_files_to_uploads_in_progress(evidence_dir: Path, kept: EvidenceFile) -> None:
    stray(evidence_dir, "ef/01/ef010000000000000000000000000000.png", age_seconds=60)

    out, err = run("orphans")
    assert out == ""
    assert "1 newer file without a row was left alone" in err

    out, _err = run("orphans", "--min-age", "0")
    assert out.splitlines() == ["ef/01/ef010000000000000000000000000000.png"]


def test_orphans_delete_removes_only_orphans(evidence_dir: Path, kept: EvidenceFile) -> None:
    orphan = stray(evidence_dir, "ab/cd/abcd0000000000000000000000000000.pdf", age_seconds=2 * DAY)

    _out, err = run("orphans", "--delete")

    assert "Deleted 1 orphan file." in err
    assert not orphan.exists()
    assert (evidence_dir / kept.stored_name).is_file()


def test_orphans_of_an_empty_store(db: None) -> None:
    assert run("orphans") == ("", "Found 0 orphan files.\n")


def test_verify_passes_when_every_row_has_its_file(kept: EvidenceFile) -> None:
    out, _err = run("verify", "--checksums")
    assert "Every evidence row has its file." in out


def test_verify_names_rows_without_their_files(evidence_dir: Path, kept: EvidenceFile) -> None:
    (evidence_dir / kept.stored_name).write_bytes(samples.pdf("changed"))
    with pytest.raises(SystemExit) as exited:
        run("verify", "--checksums")
    assert exited.value.code == 1

    (evidence_dir / kept.stored_name).unlink()
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("evidence", "verify", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == f"{kept.pk} {kept.stored_name}: the file is missing\n"
