"""The key ring: parsing, the key file of the demo profile, production's refusal to run without keys."""

from __future__ import annotations

import base64
import stat

import pytest
from django.utils import translation

from luoshi.core import crypto

from .conftest import KEY_A, KEY_B


def test_first_key_is_current_and_comments_are_ignored():
    ring = crypto.parse_keys(f"# keys, newest first\n{KEY_B}  # 2027\n\n{KEY_A}\n", source="file")
    assert ring.current_id == "kb"
    assert set(ring.keys) == {"ka", "kb"}
    assert crypto.parse_keys(f"{KEY_B}, {KEY_A}", source="env").current_id == "kb"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment",
        "nokey",
        "bad id:" + base64.b64encode(bytes(32)).decode(),
        "short:" + base64.b64encode(bytes(16)).decode(),
        "ka:not base64!!",
        f"{KEY_A},{KEY_A}",
    ],
)
def test_malformed_rings_are_refused(text):
    with pytest.raises(crypto.FieldCryptoError):
        crypto.parse_keys(text, source="test")


def test_demo_profile_creates_a_private_key_file(field_keys, tmp_path):
    path = tmp_path / "keys" / "field_keys"
    field_keys.LUOSHI_FIELD_KEYS = ""
    field_keys.LUOSHI_FIELD_KEY_FILE = path
    field_keys.PRODUCTION = False
    ring = crypto.key_ring()
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = crypto.encrypt("13812345678", context="t.c")
    assert token.startswith(f"enc:v1:{ring.current_id}:aes-gcm:")
    # A second process (here: a cleared cache) reads the same key back instead of making another.
    crypto._load.cache_clear()
    assert crypto.key_ring() == ring
    assert crypto.decrypt(token, context="t.c") == "13812345678"


def test_production_never_creates_a_key(field_keys, tmp_path):
    path = tmp_path / "field_keys"
    field_keys.LUOSHI_FIELD_KEYS = ""
    field_keys.LUOSHI_FIELD_KEY_FILE = path
    field_keys.PRODUCTION = True
    # The message in English whatever language an earlier test in this process left active.
    with translation.override("en"), pytest.raises(crypto.FieldCryptoError, match="no field encryption keys"):
        crypto.key_ring()
    assert not path.exists()
    errors = crypto.check_field_keys()
    assert [e.id for e in errors] == ["luoshi.E201"]


def test_production_reads_a_key_file(field_keys, tmp_path):
    path = tmp_path / "field_keys"
    path.write_text(KEY_B + "\n")
    field_keys.LUOSHI_FIELD_KEYS = ""
    field_keys.LUOSHI_FIELD_KEY_FILE = path
    field_keys.PRODUCTION = True
    assert crypto.key_ring().current_id == "kb"
    assert crypto.check_field_keys() == []


def test_fingerprints_tell_values_apart_without_showing_them():
    a = crypto.fingerprint("13812345678", context="t.c")
    assert a == crypto.fingerprint("13812345678", context="t.c")
    assert a != crypto.fingerprint("13812345679", context="t.c")
    assert "5678" not in a
