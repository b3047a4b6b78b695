"""The components that come from other apps (urgings, look-backs, indicators), found at run time.

Each is optional: an installation without the app (or before it is written) scores the component as
"no data" for everyone; its weight then goes to the other components and the page says so. Only the
module itself being absent is tolerated: an import error inside it must surface.
"""

from __future__ import annotations

import importlib
from datetime import date
from types import ModuleType
from typing import Any


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


def urging_model() -> Any | None:
    """``luoshi.supervision.models.Urging``, or None."""
    module = _module("luoshi.supervision.models")
    return getattr(module, "Urging", None) if module else None


def relapse_counts(org_ids: list[int], start: date, end: date) -> dict[int, int] | None:
    """``luoshi.lookbacks.selectors.relapse_counts``, or None when look-backs are not installed."""
    module = _module("luoshi.lookbacks.selectors")
    function = getattr(module, "relapse_counts", None) if module else None
    if function is None:
        return None
    return dict(function(org_ids, start, end))


def attainment_by_org(start: date, end: date) -> dict[int, float] | None:
    """``luoshi.indicators.selectors.attainment_by_org``, or None when indicators are not installed."""
    module = _module("luoshi.indicators.selectors")
    function = getattr(module, "attainment_by_org", None) if module else None
    if function is None:
        return None
    return {int(k): float(v) for k, v in function(start, end).items()}
