"""Signed checkpoints: they catch a shortened or rewritten tail, and refuse to be forged."""

from __future__ import annotations

import json
import stat

import pytest

from luoshi.audit import checkpoints
from luoshi.audit import services as audit
from luoshi.audit.checkpoints import CheckpointError
from luoshi.audit.models import AuditEvent
from luoshi.audit.verify import ChainBroken, verify_chain, write_checkpoint


@pytest.fixture
def checkpoint_file(city, tmp_path):
    """A checkpoint of the city's trail as it stands."""
    path = tmp_path / "checkpoints" / "audit-head.json"
    write_checkpoint(path)
    return path


def test_checkpoint_records_the_head(city, checkpoint_file):
    head = AuditEvent.objects.order_by("-seq").first()
    data = json.loads(checkpoint_file.read_text())

    assert set(data) == {"count", "head_seq", "head_hash", "algorithm", "created_at", "signature"}
    assert (data["count"], data["head_seq"], data["head_hash"]) == (head.seq, head.seq, head.hash)
    assert data["algorithm"] == head.algorithm
    assert data["created_at"].endswith("+00:00")


def test_key_file_is_created_once_and_private(city, tmp_path, audit_key_file):
    write_checkpoint(tmp_path / "first.json")
    key = audit_key_file.read_text().strip()
    write_checkpoint(tmp_path / "second.json")

    assert len(key) == 64
    assert int(key, 16) >= 0
    assert stat.S_IMODE(audit_key_file.stat().st_mode) == 0o600
    assert audit_key_file.read_text().strip() == key


def test_key_from_the_environment_overrides_the_file(city, tmp_path, settings, audit_key_file):
    settings.LUOSHI_AUDIT_KEY = "k" * 40
    path = tmp_path / "cp.json"
    write_checkpoint(path)

    assert not audit_key_file.exists()
    assert verify_chain(checkpoint=path).ok
    settings.LUOSHI_AUDIT_KEY = "z" * 40
    assert "signature" in verify_chain(checkpoint=path).message


def test_a_short_key_is_refused(city, tmp_path, settings):
    settings.LUOSHI_AUDIT_KEY = "too-short"

    with pytest.raises(CheckpointError, match="too short"):
        write_checkpoint(tmp_path / "cp.json")


def test_intact_trail_agrees_with_its_checkpoint(city, checkpoint_file):
    audit.record(actor=city.admin, action="test.later", object_type="test.thing", object_id="1")

    result = verify_chain(checkpoint=checkpoint_file)

    assert result.ok, result.message
    assert result.checkpoint is not None
    assert result.count == result.checkpoint.count + 1


def test_deleting_the_tail_is_caught_only_with_the_checkpoint(city, checkpoint_file, tamper):
    last = AuditEvent.objects.order_by("-seq").first()

    tamper("DELETE FROM audit_auditevent WHERE seq >= %s", [last.seq - 1])

    assert verify_chain().ok, "a shortened chain is still a valid chain"
    result = verify_chain(checkpoint=checkpoint_file)
    assert not result.ok
    assert result.first_broken is not None
    assert result.first_broken.seq == last.seq - 1
    assert result.first_broken.id is None
    assert "removed from the end" in result.message


def test_replacing_the_tail_is_caught_by_the_checkpoint(city, checkpoint_file, tamper):
    last = AuditEvent.objects.order_by("-seq").first()
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [last.seq])
    # A new, valid event takes the deleted one's place, so the count matches the checkpoint again.
    audit.record(actor=city.admin, action="test.cover_up", object_type="test.thing", object_id="1")

    assert verify_chain().ok
    result = verify_chain(checkpoint=checkpoint_file)
    assert result.first_broken is not None
    assert result.first_broken.seq == last.seq
    assert result.first_broken.object_label == "test.thing:1"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda d: d.update(count=d["count"] - 3, head_seq=d["head_seq"] - 3), id="count"),
        pytest.param(lambda d: d.update(head_hash="a" * 64), id="head_hash"),
        pytest.param(lambda d: d.update(created_at="2030-01-01T00:00:00+00:00"), id="created_at"),
        pytest.param(lambda d: d.update(signature="0" * 64), id="signature"),
    ],
)
def test_a_forged_checkpoint_is_refused(city, checkpoint_file, forge):
    data = json.loads(checkpoint_file.read_text())
    forge(data)
    checkpoint_file.write_text(json.dumps(data))

    result = verify_chain(checkpoint=checkpoint_file)

    assert not result.ok
    assert result.first_broken is None
    assert "wrong signature" in result.problem


def test_a_checkpoint_signed_with_another_key_is_refused(city, checkpoint_file, settings, tmp_path):
    settings.LUOSHI_AUDIT_KEY_FILE = tmp_path / "another.key"
    checkpoints.signing_key(create=True)

    assert "wrong signature" in verify_chain(checkpoint=checkpoint_file).problem


@pytest.mark.parametrize("content", ["not json", "[]", '{"count": 3}', '{"count": true}'])
def test_a_malformed_checkpoint_is_refused(city, tmp_path, content):
    path = tmp_path / "cp.json"
    path.write_text(content)

    result = verify_chain(checkpoint=path)

    assert not result.ok
    assert str(path) in result.problem


def test_a_missing_checkpoint_or_key_is_refused(city, checkpoint_file, audit_key_file, tmp_path):
    assert "does not exist" in verify_chain(checkpoint=tmp_path / "nowhere.json").problem
    audit_key_file.unlink()

    result = verify_chain(checkpoint=checkpoint_file)

    assert not result.ok
    assert "no audit checkpoint key" in result.problem
    assert not audit_key_file.exists(), "verifying never creates a key"


def test_a_broken_chain_is_reported_before_a_bad_checkpoint(city, tmp_path, tamper):
    path = tmp_path / "cp.json"
    path.write_text("{}")
    tamper("UPDATE audit_auditevent SET actor_name = %s WHERE seq = %s", ["x", 2])

    result = verify_chain(checkpoint=path)

    assert result.first_broken is not None
    assert result.first_broken.seq == 2


def test_a_broken_chain_is_not_checkpointed(city, tmp_path, tamper):
    tamper("UPDATE audit_auditevent SET actor_name = %s WHERE seq = %s", ["x", 2])
    path = tmp_path / "cp.json"

    with pytest.raises(ChainBroken, match="#2"):
        write_checkpoint(path)
    assert not path.exists()


def test_checkpoint_of_an_empty_trail(db, tmp_path):
    path = tmp_path / "cp.json"
    empty = write_checkpoint(path)

    assert (empty.count, empty.head_seq) == (0, 0)
    assert verify_chain(checkpoint=path).ok
