"""Rate limits: sign-in per name and per address, API tokens, exports, search; 429 with Retry-After."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from luoshi.core import ratelimit
from tests.conftest import PASSWORD, City
from tests.hardening.conftest import Work


def rate(settings, group: str, value: str) -> None:
    """Set one rule's rate for a test (the rules are re-read when the setting changes).

    Counting windows are fixed and start at a per-key offset, so a window may end in the middle of a
    test and reset its count; the tests use windows of an hour or more to make that unlikely.
    """
    rules = [dict(rule) for rule in settings.LUOSHI_RATE_LIMITS]
    for rule in rules:
        if rule["group"] == group:
            rule["rate"] = value
    settings.LUOSHI_RATE_LIMITS = rules


def assert_throttled_page(response) -> None:
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 3600
    body = response.content.decode()
    assert "Too many requests" in body
    assert "Traceback" not in body


def assert_throttled_json(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert "Too many requests" in error["message"]


def login(client: Client, username: str, attempt: str = "wrong", ip: str = "10.0.0.1"):
    return client.post(reverse("web:login"), {"username": username, "password": attempt}, REMOTE_ADDR=ip)


def test_login_is_limited_per_username_whatever_the_address(client: Client, city: City, settings) -> None:
    rate(settings, "login-username", "3/10m")
    settings.AXES_FAILURE_LIMIT = 100
    for i in range(3):
        assert login(client, "zhaomin", ip=f"10.0.0.{i}").status_code == 200  # the form again, with its error
    assert_throttled_page(login(client, "ZhaoMin ", ip="10.0.0.9"))
    # Even the right password waits: the limit is decided before the password is checked.
    assert_throttled_page(login(client, "zhaomin", PASSWORD, ip="10.0.0.10"))
    # Another name is not affected.
    assert login(client, "liqiang", PASSWORD, ip="10.0.0.11").status_code == 302


def test_login_is_limited_per_address_whatever_the_name(client: Client, city: City, settings) -> None:
    rate(settings, "login-ip", "3/10m")
    for name in ("a", "b", "c"):
        assert login(client, name, ip="192.0.2.7").status_code == 200
    assert_throttled_page(login(client, "zhaomin", PASSWORD, ip="192.0.2.7"))
    assert login(client, "zhaomin", PASSWORD, ip="192.0.2.8").status_code == 302


def test_successful_sign_ins_are_not_counted(city: City, settings) -> None:
    """A whole bureau signs in behind one address in the morning."""
    rate(settings, "login-ip", "2/10m")
    rate(settings, "login-username", "2/10m")
    for _ in range(5):
        assert login(Client(), "zhaomin", PASSWORD, ip="192.0.2.50").status_code == 302
    assert login(Client(), "liqiang", PASSWORD, ip="192.0.2.50").status_code == 302


def test_showing_the_login_page_is_not_counted(client: Client, db, settings) -> None:
    rate(settings, "login-ip", "1/10m")
    for _ in range(5):
        assert client.get(reverse("web:login")).status_code == 200


def test_the_address_comes_from_the_proxy_header_when_configured(
    client: Client, city: City, settings
) -> None:
    rate(settings, "login-ip", "2/10m")
    settings.LUOSHI_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    # Behind the proxy every request comes from its address; the proxy's appended address tells them apart.
    for _ in range(2):
        client.post(
            reverse("web:login"),
            {"username": "x", "password": "y"},
            HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5",
        )
    response = client.post(
        reverse("web:login"), {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert response.status_code == 429
    other = client.post(
        reverse("web:login"), {"username": "x", "password": "y"}, HTTP_X_FORWARDED_FOR="203.0.113.6"
    )
    assert other.status_code == 200


def test_api_token_creation_is_limited_with_a_json_answer(client: Client, city: City, settings) -> None:
    rate(settings, "api-token", "2/h")
    url = "/api/v1/auth/token"
    body = json.dumps({"username": "zhaomin", "password": PASSWORD, "name": "script"})
    for _ in range(2):
        assert client.post(url, body, content_type="application/json").status_code == 201
    response = client.post(url, body, content_type="application/json")
    assert_throttled_json(response)
    assert 60 * 60 >= int(response["Retry-After"]) >= 1


def test_api_token_requests_count_towards_the_username_limit(client: Client, city: City, settings) -> None:
    rate(settings, "login-username", "2/10m")
    url = "/api/v1/auth/token"
    wrong = json.dumps({"username": "zhaomin", "password": "nope"})
    for _ in range(2):
        assert client.post(url, wrong, content_type="application/json").status_code == 401
    assert login(client, "zhaomin", PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("url_name", "first", "second"),
    [("web:ledger_export", "zhao", "admin"), ("web:organization_import_template", "admin", "tiexi_admin")],
)
def test_exports_are_limited_per_person(
    client: Client, city: City, work: Work, settings, url_name: str, first: str, second: str
) -> None:
    rate(settings, "export", "2/5m")
    client.force_login(getattr(city, first))
    url = reverse(url_name)
    for _ in range(2):
        assert client.get(url).status_code == 200
    assert_throttled_page(client.get(url))
    # Someone else still exports.
    other = Client(headers={"Accept-Language": "en"})
    other.force_login(getattr(city, second))
    assert other.get(url).status_code == 200


def test_rectification_export_counts_with_the_other_exports(
    client: Client, city: City, work: Work, settings
) -> None:
    rate(settings, "export", "1/5m")
    client.force_login(city.zhao)
    assert client.get(reverse("web:ledger_export")).status_code == 200
    response = client.get(reverse("web:rectification_export", args=[work.desk.directive.pk]))
    assert_throttled_page(response)


def test_bulletin_downloads_through_the_api_are_limited(client: Client, city: City, settings) -> None:
    rate(settings, "export", "1/5m")
    client.force_login(city.zhao)
    # The limit is counted before the view looks for the bulletin: a missing one counts too.
    assert client.get("/api/v1/bulletins/999999/download").status_code == 404
    assert_throttled_json(client.get("/api/v1/bulletins/999999/download"))


def test_evidence_downloads_are_limited(client: Client, city: City, work: Work, settings) -> None:
    from luoshi.evidence.models import EvidenceFile

    rate(settings, "evidence-download", "1/5m")
    client.force_login(city.zhao)
    url = reverse("evidence:download", args=[EvidenceFile.objects.first().pk])
    assert client.get(url).status_code == 200
    assert_throttled_page(client.get(url))


def test_the_search_page_is_limited(client: Client, city: City, settings) -> None:
    rate(settings, "search", "2/h")
    client.force_login(city.wang)
    for _ in range(2):
        assert client.get(reverse("web:search"), {"q": "改造"}).status_code == 200
    response = client.get(reverse("web:search"), {"q": "改造"})
    assert_throttled_page(response)
    assert int(response["Retry-After"]) <= 60 * 60


def test_the_search_api_is_limited(client: Client, city: City, settings) -> None:
    rate(settings, "search", "2/h")
    client.force_login(city.wang)
    for _ in range(2):
        assert client.get("/api/v1/search", {"q": "改造"}).status_code == 200
    assert_throttled_json(client.get("/api/v1/search", {"q": "改造"}))


def test_the_page_and_the_api_share_the_search_count(client: Client, city: City, settings) -> None:
    rate(settings, "search", "1/h")
    client.force_login(city.wang)
    assert client.get(reverse("web:search"), {"q": "a"}).status_code == 200
    assert client.get("/api/v1/search", {"q": "a"}).status_code == 429


def test_the_message_is_in_the_users_language(city: City, settings) -> None:
    rate(settings, "search", "1/h")
    chinese = Client(headers={"Accept-Language": "zh-hans"})
    chinese.force_login(city.wang)
    chinese.get(reverse("web:search"))
    response = chinese.get(reverse("web:search"))
    assert response.status_code == 429
    assert '<html lang="zh-Hans">' in response.content.decode()


def test_limits_can_be_switched_off(client: Client, city: City, settings) -> None:
    rate(settings, "search", "1/h")
    settings.LUOSHI_RATE_LIMITS_ENABLED = False
    client.force_login(city.wang)
    for _ in range(3):
        assert client.get(reverse("web:search")).status_code == 200


def test_a_cache_that_is_down_lets_requests_through(
    client: Client, city: City, settings, monkeypatch
) -> None:
    rate(settings, "search", "1/h")

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(ratelimit, "get_usage", broken)
    client.force_login(city.wang)
    for _ in range(3):
        assert client.get(reverse("web:search")).status_code == 200


def test_path_prefix_rules(client: Client, city: City, settings) -> None:
    settings.LUOSHI_RATE_LIMITS = [
        {"group": "people", "match": ["/people/"], "methods": ["GET"], "key": "user_or_ip", "rate": "1/h"}
    ]
    client.force_login(city.admin)
    assert client.get("/people/").status_code == 200
    assert client.get(f"/people/{city.wang.pk}/").status_code == 429


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1 second."),
        (59, "59 seconds."),
        (119, "119 seconds."),
        (120, "2 minutes."),
        (3599, "60 minutes."),
    ],
)
def test_retry_messages(english, seconds: int, text: str) -> None:
    assert ratelimit.retry_message(seconds).endswith(text)
