"""The evidence directory fills up (a 1 MiB tmpfs): uploads are refused with a clean message, and
afterwards no row lacks its file and no file lacks its row.

Needs permission to mount a tmpfs (root, as in CI); skipped with the reason otherwise.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from luoshi.api import services as tokens
from luoshi.evidence.models import EvidenceFile
from luoshi.tasks import services, workflow
from luoshi.tasks.models import ProgressReport
from tests.conftest import City

pytestmark = pytest.mark.django_db(transaction=True)

FILE_BYTES = 150_000


@pytest.fixture
def small_store(settings) -> Iterator[Path]:
    """A 1 MiB tmpfs as MEDIA_ROOT, unmounted afterwards."""
    mountpoint = Path(tempfile.mkdtemp(prefix="luoshi-full-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "luoshi-test", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        mountpoint.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    settings.MEDIA_ROOT = mountpoint
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False)
        mountpoint.rmdir()


def photo() -> SimpleUploadedFile:
    """A JPEG (recognised by its head) of FILE_BYTES random bytes: nothing compresses or deduplicates it."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    head = b"\xff\xd8\xff\xe0" + (len(app0) + 2).to_bytes(2, "big") + app0
    return SimpleUploadedFile("现场照片.jpg", head + os.urandom(FILE_BYTES) + b"\xff\xd9", "image/jpeg")


def test_a_full_store_refuses_cleanly_and_leaves_rows_and_files_consistent(
    city: City, small_store: Path
) -> None:
    created = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="老旧小区改造",
        due_on=date(2030, 6, 28),
    )
    assigned = workflow.task_assign(actor=city.zhao, task=created, version=created.version)
    task = workflow.task_acknowledge(actor=city.wang, task=assigned, version=assigned.version)
    _token, secret = tokens.token_create(user=city.wang, name="uploads")
    client = Client(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})

    statuses: list[int] = []
    refusals: list[dict[str, object]] = []
    for attempt in range(12):
        read = client.get(f"/api/v1/tasks/{task.pk}")
        assert read.status_code == 200, read.content
        version = read.json()["version"]
        response = client.post(
            f"/api/v1/tasks/{task.pk}/reports",
            {"version": version, "narrative": f"第{attempt}次反馈", "files": [photo()]},
        )
        statuses.append(response.status_code)
        if response.status_code != 201:
            refusals.append(response.json()["error"])
        if len(refusals) == 2:
            break

    accepted = statuses.count(201)
    assert accepted >= 2, statuses
    assert set(statuses) == {201, 507}, statuses
    assert statuses.index(507) == accepted  # every upload after the first refusal is refused too
    assert refusals[0]["code"] == "storage_full"
    assert refusals[0]["message"] == "The file store is full; nothing was saved."

    # The refused reports were not saved either: the report and its files are one.
    assert ProgressReport.objects.filter(task=task).count() == accepted
    assert EvidenceFile.objects.filter(task=task).count() == accepted
    # No row without its file of the recorded size and checksum (a failed check would exit) …
    call_command("evidence", "verify", "--checksums", stdout=StringIO())
    # … and no file without its row, not even a half-written one (orphans are listed on stdout).
    listed = StringIO()
    call_command("evidence", "orphans", "--min-age", "0", stdout=listed, stderr=StringIO())
    assert listed.getvalue() == ""
    on_disk = sorted(p.name for p in (small_store / "evidence").rglob("*") if p.is_file())
    assert len(on_disk) == accepted
    assert not [name for name in on_disk if name.startswith(".partial-")]
