"""Helpers every write service shares: validation as ValidationFailed, version checks, snapshots."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from luoshi.core.errors import Conflict, ValidationFailed


def invalid(fields: dict[str, list[str]]) -> ValidationFailed:
    """A ValidationFailed with the generic headline and a message per field."""
    return ValidationFailed(_("Please correct the marked fields."), fields=fields)


def validate_model(obj: Any, exclude: list[str] | None = None) -> None:
    """Model validation (fields and constraints) with messages in the user's language, keyed by field."""
    try:
        obj.full_clean(exclude=exclude, validate_constraints=True)
    except ValidationError as exc:
        raise invalid(exc.message_dict) from exc


def check_version(obj: Any, expected: int | None) -> None:
    """Refuse a write based on a stale read: someone else changed the row since ``expected``."""
    if expected is not None and obj.version != expected:
        raise Conflict(
            _("Someone else changed this record after you opened it. Reload it, then make your change again.")
        )


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The audited fields of ``obj`` as a dict, for before/after summaries (encrypted ones masked)."""
    from luoshi.core.fields import audit_value

    return {f: audit_value(obj, f) for f in fields}
