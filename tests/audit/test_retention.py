"""Audit retention: refusing short retentions, purging past the cut, and the chain verifying afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import timezone

from luoshi.audit import retention, services, triggers
from luoshi.audit.models import AuditEvent
from luoshi.audit.verify import ChainBroken, verify_chain, write_checkpoint


def _record_at(monkeypatch, when, count, label):
    """Append ``count`` events as if it were ``when`` (the services read the clock through timezone)."""
    monkeypatch.setattr(services.timezone, "now", lambda: when)
    for i in range(count):
        services.record(actor=None, action="test.event", object_type="test.thing", object_id=f"{label}{i}")
    monkeypatch.undo()


@pytest.fixture
def aged_trail(db, monkeypatch):
    """Five events from 400 days ago, three from 200 days ago, two from today."""
    now = timezone.now()
    _record_at(monkeypatch, now - timedelta(days=400), 5, "old")
    _record_at(monkeypatch, now - timedelta(days=200), 3, "mid")
    _record_at(monkeypatch, now, 2, "new")
    return now


def _state():
    return list(AuditEvent.objects.order_by("seq").values_list("seq", "hash"))


# --- refusing short retentions --------------------------------------------------------------------


@pytest.mark.parametrize("days", [0, 30, 184])
def test_a_retention_below_185_days_is_refused(aged_trail, days, tmp_path):
    before = _state()
    with pytest.raises(retention.RetentionTooShort, match="at least 185 days"):
        retention.purge_expired(days=days, checkpoint_dir=tmp_path)
    assert _state() == before
    assert not list(tmp_path.glob("purge-*.json"))


def test_the_command_refuses_a_short_retention_with_exit_status_1(aged_trail, tmp_path, settings):
    settings.LUOSHI_AUDIT_RETENTION_DAYS = 90  # as if someone overrode the settings after they loaded
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "purge", checkpoint_dir=tmp_path, stdout=StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert "LUOSHI_AUDIT_RETENTION_DAYS" in err.getvalue()
    assert AuditEvent.objects.count() == 10


def test_the_settings_refuse_a_short_retention_when_they_load(tmp_path):
    env = os.environ | {"LUOSHI_AUDIT_RETENTION_DAYS": "100", "LUOSHI_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", "import luoshi.config.settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "LUOSHI_AUDIT_RETENTION_DAYS is 100" in done.stderr
    assert "at least 185 days" in done.stderr


# --- purging --------------------------------------------------------------------------------------


def test_purge_deletes_past_the_cut_and_the_chain_still_verifies(aged_trail, tmp_path):
    before = _state()
    result = retention.purge_expired(days=365, checkpoint_dir=tmp_path)

    assert result.deleted == 5
    assert (result.plan.first_seq, result.plan.through_seq) == (1, 5)
    kept = _state()
    assert kept[0] == before[5]  # the first kept event is #6, untouched
    assert kept[:-1] == before[5:]
    # The purge is itself an event, chained after the rest.
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "audit.purge"
    assert event.actor_name == retention.PURGE_ACTOR
    assert event.changes["through_seq"] == 5
    assert event.changes["deleted"] == 5
    # The checkpoint of the cut was written, signed, and names the last purged event.
    saved = json.loads(result.checkpoint_path.read_text())
    assert (saved["head_seq"], saved["head_hash"]) == before[4]
    assert saved == event.changes["checkpoint"]

    verified = verify_chain()
    assert verified.ok, verified.message
    assert verified.count == 6  # five kept and the purge's own
    assert verified.head_seq == 11


def test_purge_with_the_default_retention_keeps_a_year(aged_trail, tmp_path, settings):
    settings.LUOSHI_AUDIT_CHECKPOINT_DIR = tmp_path
    out = StringIO()
    call_command("audit", "purge", stdout=out, stderr=StringIO())
    assert "Purged 5 events (#1 to #5)" in out.getvalue()
    assert list(tmp_path.glob("purge-*.json"))
    assert verify_chain().ok


def test_purge_twice_then_verify_anchors_on_the_latest_cut(aged_trail, tmp_path):
    retention.purge_expired(days=365, checkpoint_dir=tmp_path)
    second = retention.purge_expired(days=185, checkpoint_dir=tmp_path)
    assert second.deleted == 3
    assert AuditEvent.objects.order_by("seq").first().seq == 9
    verified = verify_chain()
    assert verified.ok, verified.message


def test_nothing_to_purge_changes_nothing(aged_trail, tmp_path):
    before = _state()
    result = retention.purge_expired(days=500, checkpoint_dir=tmp_path)
    assert result.deleted == 0
    assert result.event is None
    assert _state() == before
    assert not list(tmp_path.glob("purge-*.json"))


def test_dry_run_deletes_nothing(aged_trail, tmp_path):
    out = StringIO()
    call_command("audit", "purge", days=365, dry_run=True, stdout=out, stderr=StringIO())
    assert "5 events (#1 to #5) are older than" in out.getvalue()
    assert AuditEvent.objects.count() == 10


def test_a_broken_trail_is_not_purged(aged_trail, tmp_path, tamper):
    tamper("UPDATE audit_auditevent SET object_repr = %s WHERE seq = %s", ["改过的", 2])
    before = _state()
    with pytest.raises(ChainBroken):
        retention.purge_expired(days=365, checkpoint_dir=tmp_path)
    assert _state() == before
    assert not list(tmp_path.glob("purge-*.json"))


def test_an_older_checkpoint_still_agrees_after_a_purge(aged_trail, tmp_path):
    earlier = tmp_path / "earlier.json"
    write_checkpoint(earlier)
    retention.purge_expired(days=365, checkpoint_dir=tmp_path / "cuts")
    result = verify_chain(checkpoint=earlier)
    assert result.ok, result.message
    later = tmp_path / "later.json"
    write_checkpoint(later)
    assert verify_chain(checkpoint=later).ok


# --- tampering after a purge is still found -------------------------------------------------------


def test_deleting_the_first_kept_event_after_a_purge_is_detected(aged_trail, tmp_path, tamper):
    retention.purge_expired(days=365, checkpoint_dir=tmp_path)
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [6])
    result = verify_chain()
    assert not result.ok
    assert result.first_broken.seq == 7
    assert "missing" in result.first_broken.reason


def test_a_forged_purge_checkpoint_is_detected(aged_trail, tmp_path, settings):
    retention.purge_expired(days=365, checkpoint_dir=tmp_path)
    # Another key makes the stored signature wrong, as if the checkpoint had been forged.
    settings.LUOSHI_AUDIT_KEY_FILE = tmp_path / "other.key"
    settings.LUOSHI_AUDIT_KEY = "x" * 40
    result = verify_chain()
    assert not result.ok
    assert result.first_broken.seq == 6
    assert "wrong signature" in result.first_broken.reason


def test_a_trail_that_starts_late_without_a_purge_is_broken(aged_trail, tamper):
    tamper("DELETE FROM audit_auditevent WHERE seq <= %s", [3])
    result = verify_chain()
    assert not result.ok
    assert result.first_broken.seq == 4
    assert "#1 to #3" in result.first_broken.reason


# --- the triggers: the purge is the only way past them --------------------------------------------


def _refused(action):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        action()


def test_ordinary_deletes_and_updates_are_still_refused_after_a_purge(aged_trail, tmp_path):
    retention.purge_expired(days=365, checkpoint_dir=tmp_path)
    _refused(lambda: AuditEvent.objects.filter(seq=6).delete())
    _refused(lambda: AuditEvent.objects.filter(seq=6).update(object_repr="x"))
    assert AuditEvent.objects.filter(seq=6).exists()


def test_the_purge_flag_lets_only_old_events_up_to_its_bound_go(aged_trail):
    with triggers.allow_purge(3):
        _refused(lambda: AuditEvent.objects.filter(seq=4).delete())  # above the bound
        _refused(lambda: AuditEvent.objects.filter(seq=10).delete())  # above the bound, and young
        _refused(lambda: AuditEvent.objects.filter(seq=2).update(object_repr="x"))  # updates never
        AuditEvent.objects.filter(seq__lte=3).delete()
    assert AuditEvent.objects.order_by("seq").first().seq == 4
    # Outside the block the flag is gone.
    _refused(lambda: AuditEvent.objects.filter(seq=4).delete())


def test_the_purge_flag_never_lets_a_young_event_go(aged_trail):
    with triggers.allow_purge(10):
        _refused(lambda: AuditEvent.objects.filter(seq=10).delete())  # today
    assert AuditEvent.objects.count() == 10
