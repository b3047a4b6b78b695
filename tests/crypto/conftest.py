"""Fixtures for the encryption tests: a key ring of their own, so that nothing depends on var/field_keys."""

from __future__ import annotations

import base64

import pytest

from luoshi.core import crypto

KEY_A = "ka:" + base64.b64encode(bytes(range(32))).decode()
KEY_B = "kb:" + base64.b64encode(bytes(range(32, 64))).decode()


@pytest.fixture(autouse=True)
def field_keys(settings):
    """Key ``ka`` encrypts; tests that rotate put ``kb`` first."""
    settings.LUOSHI_FIELD_KEYS = KEY_A
    settings.LUOSHI_FIELD_CIPHER = "aes-gcm"
    yield settings
    crypto._load.cache_clear()
