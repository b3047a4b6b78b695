"""The OpenAPI document, with the refusals every operation can give because of its shape.

Some refusals come from the API's machinery rather than from an operation's code: a missing or bad token
(401), a body that is not JSON (400) or too large (413), input that does not fit the operation's schema
(422), an id in the path that names nothing the caller can see (404). Every write goes through a service
that asks the access policy (403), looks up the objects its input names (404) and checks versions and
states (409). Declaring all of that in every ``response={...}`` by hand would be easy to forget on the
next operation, so it is added here to each operation that can give it. Refusals that depend on what a
reading operation does (403, a 404 for an id in the query, 429) are declared on the operation itself
with ``luoshi.api.errors.refusals``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from ninja import NinjaAPI
from ninja.errors import ValidationError, ValidationErrorContext
from ninja.openapi.schema import OpenAPISchema

from luoshi.api.errors import ErrorOut

ERROR_SCHEMA = "ErrorOut"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
WRITES = {"put", "post", "delete", "patch"}


def _shape_refusals(method: str, operation: dict[str, Any]) -> set[int]:
    statuses: set[int] = set()
    parameters = operation.get("parameters") or []
    if operation.get("security"):
        statuses.add(HTTPStatus.UNAUTHORIZED)
        if method in WRITES:
            statuses |= {HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT}
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(HTTPStatus.NOT_FOUND)
    if parameters or "requestBody" in operation:
        statuses.add(HTTPStatus.UNPROCESSABLE_ENTITY)
    if "requestBody" in operation:
        statuses |= {HTTPStatus.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE}
    return statuses


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": HTTPStatus(status).phrase,
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def add_refusals(document: dict[str, Any]) -> dict[str, Any]:
    """Add the shape's refusals to every operation of ``document`` that lacks them, in the error shape."""
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_shape_refusals(method, operation)):
                responses.setdefault(status, _error_response(status))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    if ERROR_SCHEMA not in schemas:
        schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[ERROR_SCHEMA] = schema
    return document


class LuoshiNinjaAPI(NinjaAPI):
    """Ninja's API, describing in its document the refusals that come with each operation's shape."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        error = super().validation_error_from_error_contexts(error_contexts)
        # Ninja drops what was sent from each error; a text that does not match its pattern is quoted
        # back in the message (``luoshi.api.fields.PATTERN_MESSAGES``), so it is kept for those.
        sent = [
            item.get("input")
            for context in error_contexts
            for item in context.pydantic_validation_error.errors(include_url=False)
        ]
        for item, value in zip(error.errors, sent, strict=False):
            if item.get("type") == "string_pattern_mismatch" and isinstance(value, str):
                item["input"] = value
        return error

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        add_refusals(document)
        return document
