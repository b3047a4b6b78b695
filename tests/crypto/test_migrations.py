"""The data migrations encrypt rows written in clear before them, and decrypt them again when reversed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from luoshi.core import crypto, encrypted_columns
from luoshi.notifications.models import Channel
from luoshi.organizations.models import User

BEFORE = ("notifications", "0002_deliveries")
AFTER = ("notifications", "0003_encrypt_channel_secrets")
ROBOT_URL = "https://oapi.dingtalk.com/robot/send?access_token=abc123"


def raw_channel(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT url, secret FROM notifications_channel WHERE id = %s", [pk])
        return cursor.fetchone()


def migrate(target: tuple[str, str]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True)
def test_channel_secrets_are_encrypted_and_decrypted_again():
    executor = migrate(BEFORE)
    try:
        old_channel = executor.loader.project_state([BEFORE]).apps.get_model("notifications", "Channel")
        plain = old_channel.objects.create(name="robot", kind="dingtalk", url=ROBOT_URL, secret="SECxyz")
        blank = old_channel.objects.create(name="hook", kind="webhook", url="https://hooks.example/x")
        assert raw_channel(plain.pk) == (ROBOT_URL, "SECxyz")

        migrate(AFTER)
        url, secret = raw_channel(plain.pk)
        assert url.startswith("enc:v1:ka:aes-gcm:")
        assert secret.startswith("enc:v1:ka:aes-gcm:")
        assert raw_channel(blank.pk)[1] == ""
        channel = Channel.objects.get(pk=plain.pk)
        assert (channel.url, channel.secret) == (ROBOT_URL, "SECxyz")

        migrate(BEFORE)
        assert raw_channel(plain.pk) == (ROBOT_URL, "SECxyz")
        assert raw_channel(blank.pk) == ("https://hooks.example/x", "")
    finally:
        migrate(AFTER)


@pytest.mark.django_db
def test_phone_migration_step_is_idempotent_and_reversible():
    person = User.objects.create(username="old", phone="13800000000")
    with connection.cursor() as cursor:  # as the column held it before the migration
        cursor.execute("UPDATE organizations_user SET phone = %s WHERE id = %s", ["13812345678", person.pk])
    (column,) = [c for c in encrypted_columns.encrypted_columns() if c.label == "organizations.User.phone"]

    assert encrypted_columns.encrypt_plaintext(connection, column) >= 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM organizations_user WHERE id = %s", [person.pk])
        token = cursor.fetchone()[0]
    assert crypto.is_token(token)
    assert encrypted_columns.encrypt_plaintext(connection, column) == 0  # already done: nothing changes
    assert User.objects.get(pk=person.pk).phone == "13812345678"

    encrypted_columns.decrypt_to_plaintext(connection, column)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM organizations_user WHERE id = %s", [person.pk])
        assert cursor.fetchone()[0] == "13812345678"
