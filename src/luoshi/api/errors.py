"""One error shape for every API answer that is not a success.

``{"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}``: ``code`` is stable for
programs, ``message`` is for people and in the request's language, ``fields`` names each bad input.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from luoshi.api.fields import PATTERN_MESSAGES
from luoshi.core import dbdown
from luoshi.core.errors import LuoshiError

logger = logging.getLogger("luoshi.api")

# Stable codes for the HTTP errors that do not come from a LuoshiError.
CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "throttled",
}


class ErrorDetail(Schema):
    """What went wrong: a stable code, a message in the caller's language, and each bad input's messages."""

    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    """The body of every refusal (see the module's docstring)."""

    error: ErrorDetail


def refusals(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Document refusals an operation gives beyond those of its shape, for ``response={...}``.

    ``luoshi.api.openapi`` adds to every operation what its shape implies: 401 when it needs a token;
    400, 413 and 422 for its input; 404 for an id in its path; 403, 404 and 409 for every write. This is
    for the rest, e.g. ``response={200: list[ChannelOut], **refusals(403)}`` on a list for
    administrators only, or ``refusals(404)`` on a list filtered by a unit's id.
    """
    return dict.fromkeys(statuses, ErrorOut)


class ApiError(HttpError):
    """An HTTP-level refusal of the API itself (not a domain rule) with a stable code and its own text."""

    code = "error"
    status = 400
    default_message: Promise | str = gettext_lazy("The request could not be completed.")

    def __init__(self) -> None:
        super().__init__(self.status, str(self.code))

    def text(self) -> str:
        """The message for people, in the active language."""
        return str(self.default_message)


class CsrfFailed(ApiError):
    """A signed-in browser sent a write without the CSRF token of its session."""

    code = "csrf_failed"
    status = 403
    default_message = gettext_lazy(
        "The security token of this page has expired. Reload the page and try again."
    )


class BadCredentials(ApiError):
    """Wrong username or password; worded the same whether or not the username exists."""

    code = "bad_credentials"
    status = 401
    default_message = gettext_lazy("The username or password is not correct.")


class SecondFactorNeeded(ApiError):
    """The account has an authenticator app (or the installation requires one): a token needs its code."""

    code = "second_factor_required"
    status = 401
    default_message = gettext_lazy(
        "Enter a code from your authenticator app (or a recovery code) in the otp field."
    )


class SecondFactorWrong(ApiError):
    """The code from the authenticator app was wrong, used already, or tried too often."""

    code = "second_factor_invalid"
    status = 401
    default_message = gettext_lazy("That code is not right, or it was used already. Wait for the next code.")


class SecondFactorNotSetUp(ApiError):
    """The installation requires a second factor and the account has none yet."""

    code = "second_factor_not_set_up"
    status = 403
    default_message = gettext_lazy(
        "Set up an authenticator app on your account security page before asking for an API token."
    )


class LockedOut(ApiError):
    """Too many failed sign-ins with one username, whether or not such a person exists.

    Code and wording are the login page's (``luoshi.web.views.auth.lockout_response``), so people and
    programs are told the same thing.
    """

    code = "locked"
    status = 429
    default_message = gettext_lazy(
        "Too many failed attempts. This account is locked for %(minutes)d minutes."
    )

    def text(self) -> str:
        minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
        return str(self.default_message) % {"minutes": minutes}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, Sequence[Any]] | None = None,
) -> HttpResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "fields": {key: [str(m) for m in messages] for key, messages in (fields or {}).items()},
        }
    }
    return api.create_response(request, body, status=status)


def _field_key(loc: Sequence[Any]) -> str:
    """Name the input a pydantic error is about, the way a client sent it.

    Ninja prefixes each location with its source and, for a JSON body, the handler's parameter name
    (``("body", "payload", "memberships", 0, "role")``); clients know neither, so both are dropped.
    """
    source, *rest = loc or ("body",)
    if source == "body":
        rest = rest[1:]
    elif len(rest) >= 3 and isinstance(rest[2], int):
        # Query and form fields are flattened, and Ninja maps their errors back to the field name, but
        # not those of one item of a list (``?light=purple``): those still start with the parameter.
        rest = rest[1:]
    return ".".join(str(part) for part in rest) or "__all__"


def _pydantic_message(error: Mapping[str, Any]) -> str:
    """A translated message for one pydantic error (pydantic's own text is English only).

    Where Django already has the sentence, its wording is reused so its translations apply.
    """
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind.startswith("int_"):
        return _("Enter a whole number.")
    if kind.startswith(("float_", "decimal_")):
        return _("Enter a number.")
    if kind.startswith("bool_"):
        return _("Enter true or false.")
    if kind == "string_type":
        return _("Enter text.")
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_MESSAGES:
        return str(PATTERN_MESSAGES[ctx["pattern"]]) % {"value": error.get("input", "")}
    if kind == "string_too_long":
        return _("Enter at most %(limit)d characters.") % {"limit": ctx.get("max_length", 0)}
    if kind == "string_too_short":
        return _("Enter at least %(limit)d characters.") % {"limit": ctx.get("min_length", 0)}
    if kind == "greater_than_equal":
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("ge")
        }
    if kind == "greater_than":
        return _("Ensure this value is greater than %(limit_value)s.") % {"limit_value": ctx.get("gt")}
    if kind == "less_than_equal":
        return _("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("le")
        }
    if kind in {"enum", "literal_error"}:
        return _("Select a valid choice. That choice is not one of the available choices.")
    if kind.startswith("datetime_"):
        return _("Enter a valid date/time.")
    if kind.startswith("date_"):
        return _("Enter a valid date.")
    if kind == "list_type":
        return _("Enter a list.")
    if kind == "too_short":
        return _("Enter at least %(limit)d items.") % {"limit": ctx.get("min_length", 0)}
    if kind == "too_long":
        return _("Enter at most %(limit)d items.") % {"limit": ctx.get("max_length", 0)}
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return _("Enter an object.")
    if kind == "extra_forbidden":
        return _("This field is not accepted here.")
    if kind == "json_invalid":
        return _("Enter a valid JSON.")
    return _("Enter a valid value.")


def validation_fields(errors: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_field_key(error.get("loc", ())), []).append(_pydantic_message(error))
    return fields


def install(api: NinjaAPI) -> None:
    """Replace Ninja's default error answers with Luoshi's shape and wording."""

    @api.exception_handler(LuoshiError)
    def on_luoshi_error(request: HttpRequest, exc: LuoshiError) -> HttpResponse:
        return error_response(
            api, request, status=exc.status, code=exc.code, message=str(exc.message), fields=exc.fields
        )

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(
            api,
            request,
            status=422,
            code="invalid",
            message=_("Please correct the marked fields."),
            fields=validation_fields(exc.errors),
        )

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            status=401,
            code="unauthenticated",
            message=_("Sign in, or send a valid API token in the Authorization header."),
        )

    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(api, request, status=exc.status, code=exc.code, message=exc.text())

    @api.exception_handler(Throttled)
    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return error_response(
            api, request, status=429, code="throttled", message=_("Too many requests. Try again later.")
        )

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # Ninja raises these with English text of its own; the status code says what matters.
        if exc.status_code == 400:
            message = _("The request could not be read. Send JSON with the Content-Type application/json.")
        else:
            message = _("The request could not be completed.")
        return error_response(
            api,
            request,
            status=exc.status_code,
            code=CODES_BY_STATUS.get(exc.status_code, "error"),
            message=message,
        )

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE; that is the client's doing.
        limit_mb = max(1, settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024))
        return error_response(
            api,
            request,
            status=413,
            code="too_large",
            message=_("The request is too large: at most %(mb)d MB can be sent at once.") % {"mb": limit_mb},
        )

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, status=404, code="not_found", message=_("Not found."))

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        if dbdown.is_database_unavailable(exc):
            # Not a bug but an outage: the middleware answers 503 with Retry-After and reconnects.
            raise exc
        # The trace goes to the log (with the request id), never to the client.
        logger.exception("Unhandled error in %s %s", request.method, request.path)
        return error_response(
            api,
            request,
            status=500,
            code="server_error",
            message=_("Something went wrong on the server. It has been logged; please try again later."),
        )
