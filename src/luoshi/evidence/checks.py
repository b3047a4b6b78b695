"""A system check that evidence is not stored where the web server serves files from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage

from luoshi.evidence.storage import evidence_storage


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


def evidence_outside_static(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Static files are served to anyone without a login; evidence must never be among them."""
    storage = evidence_storage()
    if not isinstance(storage, FileSystemStorage) or not settings.STATIC_ROOT:
        return []
    location = Path(storage.location).resolve()
    static_root = Path(settings.STATIC_ROOT).resolve()
    if _overlaps(location, static_root):
        return [
            checks.Error(
                f"Evidence files are stored in {location}, which overlaps STATIC_ROOT ({static_root}); "
                "they would be served to anyone.",
                hint="Set LUOSHI_MEDIA_ROOT and LUOSHI_STATIC_ROOT to separate directories.",
                id="luoshi.evidence.E001",
            )
        ]
    return []


def register() -> None:
    checks.register(evidence_outside_static, checks.Tags.security)
