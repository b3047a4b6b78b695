"""``evidence_attach``: what is accepted, what is refused, and that files and rows never disagree."""

from __future__ import annotations

import errno
import gc
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from luoshi.evidence import services
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.storage import EvidenceStorage
from luoshi.tasks import workflow
from luoshi.tasks.models import ProgressReport, Task
from tests.conftest import City
from tests.evidence import samples
from tests.evidence.conftest import stored_files, upload

STORED_NAME = re.compile(r"^([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{32})\.([a-z]+)$")


def assert_nothing_saved(evidence_dir: Path) -> None:
    assert not EvidenceFile.objects.exists()
    assert stored_files(evidence_dir) == []


# --- accepted -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "content_type", "extension", "kept_name"),
    [
        ("现场照片.jpg", samples.jpeg, "image/jpeg", "jpg", "现场照片.jpg"),
        ("截图.PNG", samples.png, "image/png", "png", "截图.PNG"),
        ("IMG_0042.HEIC", samples.heic, "image/heic", "heic", "IMG_0042.HEIC"),
        ("整改报告.pdf", samples.pdf, "application/pdf", "pdf", "整改报告.pdf"),
        (
            "验收材料.docx",
            samples.docx,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
            "验收材料.docx",
        ),
        (
            "指标台账.xlsx",
            samples.xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            "指标台账.xlsx",
        ),
        (
            "汇报.pptx",
            samples.pptx,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx",
            "汇报.pptx",
        ),
        ("旧台账.xls", samples.ole2, "application/x-ole-storage", "xls", "旧台账.xls"),
        ("公文.wps", samples.ole2, "application/x-ole-storage", "wps", "公文.wps"),
        # The name is corrected to match the content, so the download opens with the right program.
        ("scan.pdf", samples.png, "image/png", "png", "scan.png"),
        ("照片", samples.jpeg, "image/jpeg", "jpg", "照片.jpg"),
    ],
)
def test_accepts_images_pdf_and_office_documents(
    city: City,
    task: Task,
    report: ProgressReport,
    evidence_dir: Path,
    name: str,
    make: Callable[[], bytes],
    content_type: str,
    extension: str,
    kept_name: str,
) -> None:
    content = make()
    [row] = services.evidence_attach(actor=city.wang, task=task, report=report, files=[upload(name, content)])

    row.refresh_from_db()
    assert (row.task, row.report, row.completion_request, row.uploaded_by) == (task, report, None, city.wang)
    assert (row.original_name, row.content_type, row.size) == (kept_name, content_type, len(content))
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    match = STORED_NAME.match(row.stored_name)
    assert match is not None
    assert match.group(1) + match.group(2) == match.group(3)[:4]
    assert match.group(4) == extension
    # Nothing of the client's name reaches the disk.
    assert [p.relative_to(evidence_dir).as_posix() for p in stored_files(evidence_dir)] == [row.stored_name]
    assert (evidence_dir / row.stored_name).read_bytes() == content


def test_several_files_at_once_are_audited_together(
    city: City, task: Task, report: ProgressReport, evidence_dir: Path
) -> None:
    files = [upload("a.pdf", samples.pdf("a")), upload("b.png", samples.png())]
    rows = services.evidence_attach(actor=city.wang, task=task, report=report, files=files)

    assert [r.original_name for r in rows] == ["a.pdf", "b.png"]
    assert len(stored_files(evidence_dir)) == 2
    event = AuditEvent.objects.filter(action="evidence.attach").get()
    assert (event.object_type, event.object_id, event.actor_id) == ("tasks.task", str(task.pk), city.wang.pk)
    assert event.changes["report"] == report.pk
    assert [f["name"] for f in event.changes["files"]] == ["a.pdf", "b.png"]
    assert event.changes["files"][0]["sha256"] == hashlib.sha256(samples.pdf("a")).hexdigest()
    assert event.changes["files"][1]["size"] == len(samples.png())


def test_no_files_is_nothing_at_all(
    city: City, task: Task, django_assert_num_queries, evidence_dir: Path
) -> None:
    with django_assert_num_queries(0):
        assert services.evidence_attach(actor=city.wang, task=task, files=[]) == []
    assert_nothing_saved(evidence_dir)


def test_evidence_for_a_completion_request(city: City, task: Task) -> None:
    request = workflow.task_request_completion(actor=city.wang, task=task, version=task.version)

    [row] = services.evidence_attach(
        actor=city.wang, task=task, completion_request=request, files=[upload("验收.pdf", samples.pdf())]
    )

    assert (row.completion_request, row.report) == (request, None)


def test_the_database_refuses_a_file_of_both_a_report_and_a_completion_request(
    city: City, task: Task, report: ProgressReport
) -> None:
    request = workflow.task_request_completion(actor=city.wang, task=task, version=task.version)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceFile.objects.create(
            task=task,
            report=report,
            completion_request=request,
            uploaded_by=city.wang,
            original_name="x.pdf",
            stored_name="00/00/x.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
        )


# --- refused --------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [samples.exe, samples.html, samples.svg], ids=["exe", "html", "svg"])
def test_refuses_what_a_browser_or_computer_would_run_whatever_its_name(
    city: City, task: Task, report: ProgressReport, evidence_dir: Path, make: Callable[[], bytes]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.evidence_attach(
            actor=city.wang, task=task, report=report, files=[upload("report.pdf", make())]
        )

    assert str(refused.value.message) == "“report.pdf” is not a PDF, image or Office document."
    assert refused.value.fields == {"files": ["“report.pdf” is not a PDF, image or Office document."]}
    assert_nothing_saved(evidence_dir)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.msi", samples.ole2(), "“setup.msi” is not a PDF, image or Office document."),
        ("归档.docx", b"PK\x03\x04 cut off", "“归档.docx” is damaged or is not an Office document."),
        ("book.epub", samples.ooxml({"OEBPS/content.opf": b"<package/>"}), "is not a PDF, image or Office"),
        ("宏.docx", samples.ooxml({"word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"}), "macros"),
        ("空.pdf", b"", "“空.pdf” is empty."),
        ("notes.txt", "只是文字".encode(), "is not a PDF, image or Office document"),
    ],
)
def test_refuses_other_files_with_a_reason(
    city: City, task: Task, evidence_dir: Path, name: str, content: bytes, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=re.escape(message)):
        services.evidence_attach(actor=city.wang, task=task, files=[upload(name, content)])
    assert_nothing_saved(evidence_dir)


def test_one_bad_file_refuses_the_whole_upload(
    city: City, task: Task, report: ProgressReport, evidence_dir: Path
) -> None:
    files = [
        upload("好.pdf", samples.pdf()),
        upload("坏.pdf", samples.html()),
        upload("也坏.jpg", samples.svg()),
    ]
    with pytest.raises(ValidationFailed) as refused:
        services.evidence_attach(actor=city.wang, task=task, report=report, files=files)

    assert str(refused.value.message) == "Nothing was saved: 2 of the files cannot be accepted."
    assert refused.value.fields["files"] == [
        "“坏.pdf” is not a PDF, image or Office document.",
        "“也坏.jpg” is not a PDF, image or Office document.",
    ]
    assert_nothing_saved(evidence_dir)


def test_refuses_a_file_over_the_size_limit(city: City, task: Task, evidence_dir: Path, settings) -> None:
    settings.LUOSHI_EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(ValidationFailed) as refused:
        services.evidence_attach(
            actor=city.wang, task=task, files=[upload("大.pdf", samples.pdf("x" * 2000))]
        )

    assert str(refused.value.message).startswith("“大.pdf” is 2.")
    assert str(refused.value.message).endswith("files may be at most 1000\xa0bytes.")
    assert_nothing_saved(evidence_dir)


def test_the_size_counted_is_the_size_read_not_the_size_claimed(
    city: City, task: Task, evidence_dir: Path, settings
) -> None:
    settings.LUOSHI_EVIDENCE_MAX_BYTES = 1000
    lying = upload("小.pdf", samples.pdf("x" * 2000))
    lying.size = 10
    with pytest.raises(ValidationFailed, match="files may be at most"):
        services.evidence_attach(actor=city.wang, task=task, files=[lying])
    assert_nothing_saved(evidence_dir)


def test_refuses_too_many_files_at_once(city: City, task: Task, evidence_dir: Path, settings) -> None:
    settings.LUOSHI_EVIDENCE_MAX_FILES = 2
    files = [upload(f"{i}.png", samples.png()) for i in range(3)]
    with pytest.raises(ValidationFailed) as refused:
        services.evidence_attach(actor=city.wang, task=task, files=files)

    assert str(refused.value.message) == "At most 2 files can be attached at once; 3 were chosen."
    assert_nothing_saved(evidence_dir)


def test_refuses_a_zip_bomb_dressed_as_a_word_document(city: City, task: Task, evidence_dir: Path) -> None:
    bomb = samples.zip_bomb(50)
    assert len(bomb) < 200 * 1024

    with pytest.raises(ValidationFailed) as refused:
        services.evidence_attach(actor=city.wang, task=task, files=[upload("报告.docx", bomb)])

    assert str(refused.value.message) == (
        "“报告.docx” contains a part compressed more than 100 times; "
        "it is refused as a possible archive bomb."
    )
    assert_nothing_saved(evidence_dir)


def test_refuses_an_office_document_too_big_once_inflated(
    city: City, task: Task, evidence_dir: Path, settings
) -> None:
    settings.LUOSHI_EVIDENCE_ZIP_MAX_BYTES = 100_000
    stored = samples.ooxml({"word/document.xml": bytes(range(256)) * 500}, compression=0)
    with pytest.raises(ValidationFailed, match=re.escape("expands to more than 97.7\xa0KB when opened")):
        services.evidence_attach(actor=city.wang, task=task, files=[upload("a.docx", stored)])
    assert_nothing_saved(evidence_dir)


def test_refuses_an_office_document_of_too_many_parts(
    city: City, task: Task, evidence_dir: Path, settings
) -> None:
    settings.LUOSHI_EVIDENCE_ZIP_MAX_ENTRIES = 5
    parts = {f"word/media/image{i}.png": samples.png() for i in range(5)}
    with pytest.raises(ValidationFailed, match="has more than 5 parts"):
        services.evidence_attach(actor=city.wang, task=task, files=[upload("a.docx", samples.ooxml(parts))])
    assert_nothing_saved(evidence_dir)


def test_refuses_an_office_document_whose_data_is_corrupt(city: City, task: Task, evidence_dir: Path) -> None:
    corrupt = samples.with_corrupt_data(samples.docx("x" * 500), "word/document.xml")
    with pytest.raises(
        ValidationFailed, match=re.escape("“a.docx” is damaged or is not an Office document.")
    ):
        services.evidence_attach(actor=city.wang, task=task, files=[upload("a.docx", corrupt)])
    assert_nothing_saved(evidence_dir)


def test_refuses_an_office_document_that_lies_about_its_parts(
    city: City, task: Task, evidence_dir: Path
) -> None:
    lying = samples.with_bad_checksum(samples.docx(), "word/document.xml")
    with pytest.raises(
        ValidationFailed, match=re.escape("“a.docx” is damaged or is not an Office document.")
    ):
        services.evidence_attach(actor=city.wang, task=task, files=[upload("a.docx", lying)])
    assert_nothing_saved(evidence_dir)


# --- who may attach -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "error"),
    [("sun", NotFound), ("chen", NotFound), ("li", NotFound), ("zhao", NotAllowed)],
)
def test_only_those_who_report_on_the_task_attach_to_it(
    city: City, task: Task, evidence_dir: Path, persona: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        services.evidence_attach(
            actor=getattr(city, persona), task=task, files=[upload("a.pdf", samples.pdf())]
        )
    assert_nothing_saved(evidence_dir)


def test_no_evidence_for_a_decided_completion_request(city: City, task: Task, evidence_dir: Path) -> None:
    request = workflow.task_request_completion(actor=city.wang, task=task, version=task.version)
    task.refresh_from_db()
    workflow.task_reject(actor=city.zhao, task=task, version=task.version, reason="材料不全")

    with pytest.raises(Conflict, match="awaits its decision"):
        services.evidence_attach(
            actor=city.wang, task=task, completion_request=request, files=[upload("a.pdf", samples.pdf())]
        )
    assert_nothing_saved(evidence_dir)


# --- files and rows stay consistent ---------------------------------------------------------------


def test_a_transaction_that_fails_after_attaching_leaves_no_row_and_no_file(
    city: City, task: Task, report: ProgressReport, evidence_dir: Path
) -> None:
    written: list[Path] = []

    def attach_then_fail() -> None:
        with transaction.atomic():
            services.evidence_attach(
                actor=city.wang, task=task, report=report, files=[upload("a.pdf", samples.pdf())]
            )
            written.extend(stored_files(evidence_dir))
            raise RuntimeError("the report could not be finished")

    with pytest.raises(RuntimeError):
        attach_then_fail()

    assert len(written) == 1
    assert_nothing_saved(evidence_dir)


def test_a_rolled_back_savepoint_removes_only_its_own_files(
    city: City, task: Task, report: ProgressReport, evidence_dir: Path
) -> None:
    with transaction.atomic():
        [kept] = services.evidence_attach(
            actor=city.wang, task=task, report=report, files=[upload("kept.pdf", samples.pdf())]
        )
        try:
            with transaction.atomic():
                services.evidence_attach(
                    actor=city.wang, task=task, report=report, files=[upload("lost.png", samples.png())]
                )
                raise RuntimeError("the inner step failed")
        except RuntimeError:
            pass

    assert list(EvidenceFile.objects.values_list("original_name", flat=True)) == ["kept.pdf"]
    assert [p.relative_to(evidence_dir).as_posix() for p in stored_files(evidence_dir)] == [kept.stored_name]


def test_a_failure_while_recording_removes_the_files_written(
    city: City, task: Task, evidence_dir: Path, monkeypatch
) -> None:
    def broken_audit(**kwargs):
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(services.audit, "record", broken_audit)
    with pytest.raises(RuntimeError):
        services.evidence_attach(actor=city.wang, task=task, files=[upload("a.pdf", samples.pdf())])
    assert_nothing_saved(evidence_dir)


def test_a_full_disk_saves_nothing_and_says_so(
    city: City, task: Task, evidence_dir: Path, monkeypatch
) -> None:
    real_save = EvidenceStorage._save
    calls = []

    def save_then_fill_up(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(self, name, content)

    monkeypatch.setattr(EvidenceStorage, "_save", save_then_fill_up)
    files = [upload("a.pdf", samples.pdf()), upload("b.png", samples.png())]
    with pytest.raises(services.StoreFull) as refused:
        services.evidence_attach(actor=city.wang, task=task, files=files)

    assert str(refused.value.message) == "The file store is full; nothing was saved."
    assert refused.value.status == 507
    assert len(calls) == 2
    assert_nothing_saved(evidence_dir)


def test_a_file_cut_short_by_a_full_disk_leaves_no_partial_file(
    city: City, task: Task, evidence_dir: Path, monkeypatch
) -> None:
    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("luoshi.evidence.storage.os.fsync", no_space)
    with pytest.raises(services.StoreFull):
        services.evidence_attach(actor=city.wang, task=task, files=[upload("a.pdf", samples.pdf())])
    assert_nothing_saved(evidence_dir)


@pytest.mark.django_db(transaction=True)
def test_committed_evidence_keeps_its_file(city: City, task: Task, evidence_dir: Path) -> None:
    [row] = services.evidence_attach(actor=city.wang, task=task, files=[upload("a.pdf", samples.pdf())])
    gc.collect()

    assert EvidenceFile.objects.filter(pk=row.pk).exists()
    assert (evidence_dir / row.stored_name).is_file()


@pytest.mark.django_db(transaction=True)
def test_evidence_keeps_its_file_when_another_commit_hook_fails(
    city: City, task: Task, evidence_dir: Path
) -> None:
    """Django skips the remaining commit hooks when one raises; the rows are committed all the same."""

    def failing_hook() -> None:
        raise RuntimeError("a notification could not be queued")

    rows: list[EvidenceFile] = []

    def attach_and_commit() -> None:
        with transaction.atomic():
            transaction.on_commit(failing_hook)
            rows.extend(
                services.evidence_attach(actor=city.wang, task=task, files=[upload("a.pdf", samples.pdf())])
            )

    with pytest.raises(RuntimeError) as raised:
        attach_and_commit()
    # The skipped hooks are freed with the traceback that holds them; only then does the guard decide.
    del raised
    gc.collect()
    [row] = rows

    assert EvidenceFile.objects.filter(pk=row.pk).exists()
    assert (evidence_dir / row.stored_name).is_file()


def test_stored_files_are_private_to_the_application(city: City, task: Task, evidence_dir: Path) -> None:
    [row] = services.evidence_attach(actor=city.wang, task=task, files=[upload("a.pdf", samples.pdf())])

    path = evidence_dir / row.stored_name
    for item in (path, path.parent, path.parent.parent, evidence_dir):
        assert item.stat().st_mode & 0o007 == 0, item
