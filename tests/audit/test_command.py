"""``luoshi audit verify`` and ``luoshi audit checkpoint``: exit status and messages."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from luoshi.audit.models import AuditEvent


def run(*args: str) -> tuple[int, str, str]:
    """Run ``audit`` with ``args``; return (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_verify_passes_on_an_intact_trail(city):
    count = AuditEvent.objects.count()

    status, out, err = run("verify")

    assert status == 0
    assert f"intact: {count} events" in out
    assert err == ""


def test_verify_fails_naming_the_edited_event(city, tamper):
    victim = AuditEvent.objects.get(seq=4)
    tamper("UPDATE audit_auditevent SET actor_name = %s WHERE seq = %s", ["某个别人", 4])

    status, out, err = run("verify")

    assert status == 1
    assert out == ""
    assert f"Event #4 ({victim.object_type}:{victim.object_id})" in err
    assert "altered" in err


def test_checkpoint_then_verify_with_it(city, tmp_path, tamper):
    path = tmp_path / "head.json"

    status, out, _ = run("checkpoint", str(path))
    assert status == 0
    assert str(path) in out
    assert run("verify", "--checkpoint", str(path))[0] == 0

    last = AuditEvent.objects.order_by("-seq").first()
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [last.seq])
    assert run("verify")[0] == 0
    status, _, err = run("verify", "--checkpoint", str(path))
    assert status == 1
    assert f"Event #{last.seq}" in err


def test_checkpoint_refuses_a_broken_trail(city, tmp_path, tamper):
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [3])
    path = tmp_path / "head.json"

    status, _, err = run("checkpoint", str(path))

    assert status == 1
    assert "Event #4" in err
    assert not path.exists()


def test_verify_warns_when_the_triggers_are_gone(city):
    # Inside the test's transaction, so the rollback at its end puts them back.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_auditevent_no_update")

    status, _, err = run("verify")

    assert status == 0
    assert "append-only are missing" in err


@pytest.mark.parametrize("args", [["--help"], ["verify", "--help"], ["checkpoint", "--help"]])
def test_help(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", *args)

    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out
