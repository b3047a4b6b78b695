"""The one authorization policy: who may see and do what (DESIGN §2).

Every page, endpoint and command asks here: ``visible(user, queryset)`` filters every list and lookup,
``require(user, action, obj)`` guards every object. Rules:

- Everyone sees the work of their own units and the units below them.
- Supervisors see their whole jurisdiction: the subtree of the nearest government, district or township
  above (or at) the unit they work in.
- Administrators manage organisations and people in the subtree of the unit they administer.
- Superusers may do everything (used by ``luoshi createadmin`` for the first installation).
- Nobody sees a sibling unit's work (unless named on it; tasks extend this in their own rules).

Objects the user may not see are reported as "not found", never as "forbidden", so ids leak nothing.
"""

from __future__ import annotations

from luoshi.access.policy import (
    Action,
    Scope,
    allowed,
    can,
    covers,
    is_visible,
    require,
    scopes_of,
    visible,
)

__all__ = ["Action", "Scope", "allowed", "can", "covers", "is_visible", "require", "scopes_of", "visible"]
