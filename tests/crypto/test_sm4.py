"""SM4: GCM where OpenSSL has it, otherwise SM4-CBC with HMAC-SM3 (encrypt-then-MAC); both are tested."""

from __future__ import annotations

import pytest

from luoshi.core import crypto
from luoshi.organizations.models import User

CONTEXT = "organizations_user.phone"


@pytest.fixture(params=["sm4-gcm", "sm4-cbc-sm3"])
def sm4(request, field_keys, monkeypatch):
    field_keys.LUOSHI_FIELD_CIPHER = "sm4"
    if request.param == "sm4-gcm":
        if not crypto.sm4_gcm_available():
            pytest.skip("this OpenSSL has no SM4-GCM")
    else:
        monkeypatch.setattr(crypto, "sm4_gcm_available", lambda: False)
    assert crypto.configured_algorithm() == request.param
    return request.param


def test_round_trip(sm4):
    token = crypto.encrypt("身份证 11010519491231002X", context=CONTEXT)
    assert token.startswith(f"enc:v1:ka:{sm4}:")
    assert crypto.decrypt(token, context=CONTEXT) == "身份证 11010519491231002X"


@pytest.mark.parametrize("plaintext", ["", "x", "0123456789abcdef", "0123456789abcdef0"])
def test_block_boundaries(sm4, plaintext):
    assert crypto.decrypt(crypto.encrypt(plaintext, context=CONTEXT), context=CONTEXT) == plaintext


def test_bound_to_the_column(sm4):
    token = crypto.encrypt("13812345678", context=CONTEXT)
    with pytest.raises(crypto.FieldCryptoError):
        crypto.decrypt(token, context="organizations_user.id_number")


def test_tampering_is_detected(sm4):
    import base64

    token = crypto.encrypt("13812345678", context=CONTEXT)
    header, body = token.rsplit(":", 1)
    blob = bytearray(base64.b64decode(body))
    for position in (0, len(blob) // 2, len(blob) - 1):  # nonce/IV, ciphertext, tag/MAC
        changed = bytearray(blob)
        changed[position] ^= 1
        with pytest.raises(crypto.FieldCryptoError):
            crypto.decrypt(f"{header}:{base64.b64encode(bytes(changed)).decode()}", context=CONTEXT)


def test_sm4_and_aes_values_live_side_by_side(field_keys, monkeypatch):
    aes = crypto.encrypt("13812345678", context=CONTEXT)
    field_keys.LUOSHI_FIELD_CIPHER = "sm4"
    monkeypatch.setattr(crypto, "sm4_gcm_available", lambda: False)
    fallback = crypto.encrypt("13812345678", context=CONTEXT)
    monkeypatch.undo()
    field_keys.LUOSHI_FIELD_CIPHER = "sm4"
    native = crypto.encrypt("13812345678", context=CONTEXT)
    for token in (aes, fallback, native):
        assert crypto.decrypt(token, context=CONTEXT) == "13812345678"


@pytest.mark.django_db
def test_model_field_in_sm4_mode(sm4):
    person = User.objects.create(username="sm4", phone="13812345678")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM organizations_user WHERE id = %s", [person.pk])
        assert cursor.fetchone()[0].startswith(f"enc:v1:ka:{sm4}:")
    assert User.objects.get(pk=person.pk).phone == "13812345678"
