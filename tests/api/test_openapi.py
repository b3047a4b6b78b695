"""The API describes itself: the OpenAPI document and the documentation page."""

from __future__ import annotations

import importlib.util
import re

from django.test import Client
from django.urls import get_resolver

from luoshi.api.urls import api

# DESIGN §11 paths built so far, with their methods.
EXPECTED = {
    "/api/v1/auth/token": {"post", "delete"},
    "/api/v1/organizations": {"get", "post"},
    "/api/v1/organizations/{org_id}": {"get", "patch"},
    "/api/v1/organizations/{org_id}/children": {"get"},
    "/api/v1/people": {"get", "post"},
    "/api/v1/people/{person_id}": {"get", "patch"},
}


def test_document_lists_the_paths_built_so_far(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path, methods in EXPECTED.items():
        assert methods <= set(paths.get(path, {})), path
    if importlib.util.find_spec("luoshi.audit.api"):
        assert any(p.rstrip("/") == "/api/v1/audit" for p in paths)
        assert "/api/v1/audit/verify" in paths


def test_document_describes_the_security_and_error_shape(db):
    schema = Client().get("/api/openapi.json").json()
    assert {"TokenAuth", "SessionAuth"} <= set(schema["components"]["securitySchemes"])
    token = schema["paths"]["/api/v1/auth/token"]
    assert "security" not in token["post"]  # the only operation open to anonymous callers
    assert token["delete"]["security"]


def test_every_api_url_is_in_the_document():
    """Operations left out of the document would also escape the anonymous walk in test_anonymous."""
    documented = set(api.get_openapi_schema()["paths"])
    own_urls = {"openapi-json", "openapi-view", "api-root", "unknown_path"}
    (api_urls,) = [p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "api"]
    for pattern in api_urls.url_patterns:
        if pattern.name in own_urls:
            continue
        path = "/api/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        assert path in documented, f"{path} ({pattern.name}) is not in the OpenAPI document"


def test_docs_page_is_for_signed_in_people_and_uses_no_cdn(city):
    anonymous = Client().get("/api/docs")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")

    client = Client()
    client.force_login(city.wang)
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "/api/openapi.json" in html
