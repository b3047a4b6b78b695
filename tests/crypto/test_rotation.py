"""Key rotation: `luoshi keys rotate` moves every value to the current key; old keys can then go."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from luoshi.audit.models import AuditEvent
from luoshi.core import crypto, encrypted_columns
from luoshi.notifications.models import Channel
from luoshi.organizations.models import User

from .conftest import KEY_A, KEY_B

pytestmark = pytest.mark.django_db


def per_key() -> dict[str, int]:
    totals: dict[str, int] = {}
    for counts in encrypted_columns.census().values():
        for name, n in counts.items():
            totals[name] = totals.get(name, 0) + n
    return totals


def make_rows() -> list[User]:
    people = [
        User.objects.create(username=f"p{i}", phone=f"1381234{i:04d}", id_number="11010519491231002X")
        for i in range(7)
    ]
    Channel.objects.create(
        name="robot", kind="wecom", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", secret="s3"
    )
    return people


def test_every_encrypted_column_is_found():
    labels = {column.label for column in encrypted_columns.encrypted_columns()}
    assert {
        "organizations.User.phone",
        "organizations.User.id_number",
        "notifications.Channel.url",
        "notifications.Channel.secret",
    } <= labels


def test_rotate_moves_all_values_and_old_key_can_be_removed(field_keys, capsys):
    people = make_rows()
    assert per_key() == {"ka/aes-gcm": 16}

    field_keys.LUOSHI_FIELD_KEYS = f"{KEY_B},{KEY_A}"
    call_command("keys", "rotate", "--batch-size", "3")
    assert per_key() == {"kb/aes-gcm": 16}
    event = AuditEvent.objects.filter(action="field_keys.rotate").get()
    assert event.changes["key_id"] == "kb"
    assert sum(event.changes["values"].values()) == 16

    # Idempotent: nothing left to move, no second event.
    call_command("keys", "rotate")
    assert AuditEvent.objects.filter(action="field_keys.rotate").count() == 1

    # The old key is no longer needed.
    field_keys.LUOSHI_FIELD_KEYS = KEY_B
    assert [p.phone for p in User.objects.filter(pk__in=[p.pk for p in people]).order_by("pk")] == [
        f"1381234{i:04d}" for i in range(7)
    ]
    channel = Channel.objects.get()
    assert (channel.url, channel.secret) == ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "s3")

    call_command("keys", "status")
    out = capsys.readouterr().out
    assert "kb/aes-gcm: 7" in out
    assert "ka" not in out.split("Values per key:")[1]


def test_rotate_switches_cipher(field_keys):
    make_rows()
    field_keys.LUOSHI_FIELD_CIPHER = "sm4"
    call_command("keys", "rotate")
    assert set(per_key()) == {f"ka/{crypto.configured_algorithm()}"}
    assert User.objects.get(username="p3").phone == "13812340003"


def test_rotate_encrypts_leftover_plaintext(field_keys):
    from django.db import connection

    person = User.objects.create(username="left", phone="13800000000")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE organizations_user SET phone = %s WHERE id = %s", ["13911112222", person.pk])
    assert per_key()[encrypted_columns.PLAINTEXT] == 1
    call_command("keys", "rotate")
    assert encrypted_columns.PLAINTEXT not in per_key()
    assert User.objects.get(pk=person.pk).phone == "13911112222"


def test_rotate_stops_on_a_value_it_cannot_read(field_keys):
    make_rows()
    field_keys.LUOSHI_FIELD_KEYS = KEY_B  # ka forgotten before rotating
    with pytest.raises(CommandError, match="not in the key ring"):
        call_command("keys", "rotate")


def test_status_names_keys_missing_from_the_ring(field_keys):
    make_rows()
    field_keys.LUOSHI_FIELD_KEYS = KEY_B
    with pytest.raises(CommandError, match="ka"):
        call_command("keys", "status")


def test_generate_prints_a_usable_entry(field_keys, capsys):
    call_command("keys", "generate", "--id", "k2027")
    entry = capsys.readouterr().out.strip()
    ring = crypto.parse_keys(entry, source="test")
    assert ring.current_id == "k2027"
    assert len(ring.current) == 32
    field_keys.LUOSHI_FIELD_KEYS = f"{entry},{KEY_A}"
    User.objects.create(username="new", phone="13800000000")
    assert per_key() == {"k2027/aes-gcm": 1}
