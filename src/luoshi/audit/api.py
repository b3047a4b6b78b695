"""Audit endpoints, mounted at ``/api/v1/audit``: the trail newest first, and its verification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from luoshi.access.policy import can_view_audit
from luoshi.api.errors import refusals
from luoshi.audit import selectors
from luoshi.audit.verify import verify_chain
from luoshi.core.errors import NotAllowed, ValidationFailed

MAX_LIMIT = 500

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    """One event as recorded; ``hash`` and ``prev_hash`` let a client check the chain itself."""

    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    request_id: str
    ip: str
    algorithm: str
    prev_hash: str
    hash: str


class AuditEventPage(Schema):
    """A page of events, newest first."""

    items: list[AuditEventOut]
    next_cursor: int | None = Field(
        None, description="Pass as `cursor` for the next (older) page; null on the last page."
    )


class BrokenEventOut(Schema):
    """The first event at which the chain fails; ``id`` is null when the event is missing."""

    seq: int
    id: int | None
    object_type: str
    object_id: str
    reason: str


class VerifyOut(Schema):
    """The outcome of walking the whole chain."""

    ok: bool
    count: int
    head_seq: int
    head_hash: str
    algorithm: str
    first_broken: BrokenEventOut | None
    message: str


def _user(request: HttpRequest) -> Any:
    """The caller: the user a token resolved to (``request.auth``), else the session's user.

    Independent of how the API is authenticated, so these endpoints work under token and session auth.
    """
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, AbstractBaseUser) else request.user


def _require_auditor(request: HttpRequest) -> Any:
    user = _user(request)
    if not can_view_audit(user):
        raise NotAllowed(_("You are not allowed to read the audit trail."))
    return user


@router.get("", response={200: AuditEventPage, **refusals(403)}, summary="List audit events, newest first")
def list_events(
    request: HttpRequest,
    object_type: str = "",
    object_id: str = "",
    object_ref: str = Query(
        "", alias="object", description="`<object_type>:<object_id>`, e.g. `organizations.organization:12`"
    ),
    action: str = "",
    cursor: int | None = Query(None, description="Only events older than this sequence number."),
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),
) -> dict[str, Any]:
    """Events the caller may read, filtered by object or action, paginated by sequence number."""
    user = _require_auditor(request)
    if object_ref:
        object_type, sep, object_id = object_ref.partition(":")
        if not (sep and object_type and object_id):
            raise ValidationFailed(
                _("Please correct the marked fields."),
                fields={"object": [_("Give the object as type:id, e.g. organizations.organization:12.")]},
            )
    size = limit or settings.LUOSHI_PAGE_SIZE
    # One row more than the page shows, to know whether there is a next page.
    events = list(
        selectors.recent_events(
            user, object_type=object_type, object_id=object_id, action=action, before_seq=cursor
        )[: size + 1]
    )
    more = len(events) > size
    items = events[:size]
    return {"items": items, "next_cursor": items[-1].seq if more else None}


@router.get(
    "/verify", response={200: VerifyOut, **refusals(403)}, summary="Verify the audit trail's hash chain"
)
def verify(request: HttpRequest) -> dict[str, Any]:
    """Walk the whole chain now. Takes a while on a long trail; ``luoshi audit verify`` does the same."""
    _require_auditor(request)
    result = verify_chain()
    return {
        "ok": result.ok,
        "count": result.count,
        "head_seq": result.head_seq,
        "head_hash": result.head_hash,
        "algorithm": result.algorithm,
        "first_broken": result.first_broken,
        "message": result.message,
    }
