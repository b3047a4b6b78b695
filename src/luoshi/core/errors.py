"""Errors that services raise and every interface (page, API, command) turns into a clear message."""

from __future__ import annotations

from django.utils.functional import Promise


class LuoshiError(Exception):
    """Base class: ``code`` is stable for API clients; ``message`` is translated for people."""

    code = "error"
    status = 400

    def __init__(self, message: str | Promise, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}


class ValidationFailed(LuoshiError):
    """Input is wrong; ``fields`` names each bad field with its messages."""

    code = "invalid"
    status = 422


class Conflict(LuoshiError):
    """Someone else changed the object since it was read (version check), or a rule forbids the state."""

    code = "conflict"
    status = 409


class NotAllowed(LuoshiError):
    """The actor may see the object but may not do this to it."""

    code = "forbidden"
    status = 403


class NotFound(LuoshiError):
    """The object does not exist, or the actor may not see it (the two are indistinguishable on purpose)."""

    code = "not_found"
    status = 404
