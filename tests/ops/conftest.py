"""Fixtures for operations: a private file store and audit key, and English messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

# The audit checkpoint key of every test here: backups are signed with it, so a restore in another
# process must be given the same one.
AUDIT_KEY = "ops-test-audit-checkpoint-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LUOSHI_AUDIT_KEY = AUDIT_KEY
    return settings.MEDIA_ROOT
