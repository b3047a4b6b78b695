"""What the schemathesis walk (test_fuzz_reads, test_fuzz_writes) found, pinned down one by one."""

from __future__ import annotations

import pytest

from luoshi.api.pagination import MAX_PAGE
from luoshi.api.urls import api


@pytest.fixture
def english_personas(city):
    """The API answers in each caller's own language: these read English."""
    for person in (city.admin, city.zhao):
        person.language = "en"
        person.save(update_fields=["language"])


def test_a_page_beyond_any_list_is_invalid_input_not_a_server_error(city, api_as, english_personas):
    client = api_as(city.admin)
    response = client.get("/api/v1/organizations", {"page": MAX_PAGE + 1})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "page": [f"Ensure this value is less than or equal to {MAX_PAGE}."]
    }
    assert client.get("/api/v1/organizations", {"page": MAX_PAGE}).json()["items"] == []


def test_quiet_hours_keep_the_clock_time_of_a_time_with_an_offset(city, api_as):
    client = api_as(city.wang)
    response = client.client.put(
        "/api/v1/notifications/preferences",
        '{"quiet_from": "22:00:00+08:00", "quiet_until": "07:30Z"}',
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["quiet_from"], response.json()["quiet_until"]) == ("22:00:00", "07:30:00")


def test_a_malformed_period_is_refused_with_the_period_message(city, api_as, english_personas):
    response = api_as(city.zhao).get("/api/v1/rankings", {"period": "2022-13"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "period": ["“2022-13” is not a period; write e.g. 2022-W39, 2022-09, 2022-Q3 or 2022."]
    }


def test_a_blank_required_text_is_refused_before_the_service(city, api_as, english_personas):
    response = api_as(city.admin).post("/api/v1/organizations", {"parent": city.government.pk, "name": "  "})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"name": ["This field cannot be blank."]}


def test_a_boolean_is_not_a_parent_unit(city, api_as):
    response = api_as(city.admin).post("/api/v1/organizations", {"parent": True, "name": "新单位"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["parent"]


def test_refusals_are_documented_in_the_error_shape():
    document = api.get_openapi_schema(path_prefix="/api/")
    task = document["paths"]["/api/v1/tasks/{task_id}"]
    assert {"200", "401", "404", "422"} <= {str(status) for status in task["get"]["responses"]}
    assert {"403", "404", "409", "422"} <= {str(status) for status in task["patch"]["responses"]}
    refusal = task["patch"]["responses"][409]["content"]["application/json"]["schema"]
    assert refusal == {"$ref": "#/components/schemas/ErrorOut"}
    shape = document["components"]["schemas"]["ErrorOut"]
    assert shape["required"] == ["error"]
    # The token endpoint is the only one open to anonymous callers: it documents its own refusals.
    token = document["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert {"401", "429"} <= {str(status) for status in token}
