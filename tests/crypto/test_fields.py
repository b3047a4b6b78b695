"""EncryptedTextField: plaintext in Python, a bound token in the database, loud failure on tampering."""

from __future__ import annotations

import pytest
from django.core.exceptions import FieldError
from django.db import connection

from luoshi.core import crypto
from luoshi.organizations.models import User

from .conftest import KEY_B

pytestmark = pytest.mark.django_db


def raw(table: str, column: str, pk: int) -> str | None:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {q(column)} FROM {q(table)} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def write_raw(table: str, column: str, pk: int, value: str) -> None:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {q(table)} SET {q(column)} = %s WHERE id = %s", [value, pk])  # noqa: S608


def test_round_trip_and_ciphertext_in_the_database():
    person = User.objects.create(username="zhang", phone="13812345678", id_number="11010519491231002X")
    stored = raw("organizations_user", "phone", person.pk)
    assert stored.startswith("enc:v1:ka:aes-gcm:")
    assert "13812345678" not in stored
    assert "11010519491231002X" not in raw("organizations_user", "id_number", person.pk)
    fresh = User.objects.get(pk=person.pk)
    assert fresh.phone == "13812345678"
    assert fresh.id_number == "11010519491231002X"
    # The same value encrypts differently each time (random nonce).
    person.save()
    assert raw("organizations_user", "phone", person.pk) != stored


def test_blank_stays_blank():
    person = User.objects.create(username="li", phone="")
    assert raw("organizations_user", "phone", person.pk) == ""
    assert User.objects.get(pk=person.pk).phone == ""


def test_values_cannot_be_moved_between_columns_or_rows_of_other_columns():
    person = User.objects.create(username="wu", phone="13812345678", id_number="11010519491231002X")
    write_raw("organizations_user", "id_number", person.pk, raw("organizations_user", "phone", person.pk))
    with pytest.raises(crypto.FieldCryptoError, match=r"organizations_user\.id_number"):
        User.objects.get(pk=person.pk)


def test_tampered_value_is_an_error_not_empty():
    person = User.objects.create(username="qian", phone="13812345678")
    token = raw("organizations_user", "phone", person.pk)
    head, body = token.rsplit(":", 1)
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    write_raw("organizations_user", "phone", person.pk, f"{head}:{flipped}")
    with pytest.raises(crypto.FieldCryptoError):
        User.objects.get(pk=person.pk)


def test_header_cannot_be_relabelled():
    person = User.objects.create(username="feng", phone="13812345678")
    token = raw("organizations_user", "phone", person.pk)
    write_raw("organizations_user", "phone", person.pk, token.replace(":aes-gcm:", ":sm4-gcm:"))
    with pytest.raises(crypto.FieldCryptoError):
        User.objects.get(pk=person.pk)


def test_wrong_key_is_a_clear_error(field_keys):
    person = User.objects.create(username="zhou", phone="13812345678")
    # Same key id, other key material: a restored ring that does not match the data.
    field_keys.LUOSHI_FIELD_KEYS = "ka:" + KEY_B.split(":", 1)[1]
    with pytest.raises(crypto.FieldCryptoError, match="does not decrypt with key ka"):
        User.objects.get(pk=person.pk)


def test_missing_key_names_the_key(field_keys):
    person = User.objects.create(username="sun", phone="13812345678")
    field_keys.LUOSHI_FIELD_KEYS = KEY_B
    with pytest.raises(crypto.FieldCryptoError, match="key ka, which is not in the key ring"):
        User.objects.get(pk=person.pk)


@pytest.mark.parametrize("lookup", ["phone", "phone__icontains", "phone__startswith", "phone__in"])
def test_filters_are_refused(lookup):
    value = ["1"] if lookup.endswith("__in") else "1"
    with pytest.raises(FieldError):
        list(User.objects.filter(**{lookup: value}))


def test_isnull_and_values_list_work():
    User.objects.create(username="zheng", phone="13812345678")
    assert User.objects.filter(phone__isnull=False, username="zheng").exists()
    assert list(User.objects.filter(username="zheng").values_list("phone", flat=True)) == ["13812345678"]


def test_update_and_bulk_update_encrypt():
    person = User.objects.create(username="he", phone="1")
    User.objects.filter(pk=person.pk).update(phone="13900000000")
    assert raw("organizations_user", "phone", person.pk).startswith("enc:v1:")
    person.refresh_from_db()
    assert person.phone == "13900000000"
    person.phone = "13700000000"
    User.objects.bulk_update([person], ["phone"])
    assert raw("organizations_user", "phone", person.pk).startswith("enc:v1:")
    assert User.objects.get(pk=person.pk).phone == "13700000000"


def test_repr_and_str_do_not_show_secrets():
    person = User.objects.create(
        username="lu", display_name="陆", phone="13812345678", id_number="11010519491231002X"
    )
    for text in (str(person), repr(person)):
        assert "13812345678" not in text
        assert "11010519491231002X" not in text
