"""Security headers on every answer, and a production profile that passes ``check --deploy``."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import PASSWORD, City

PRODUCTION_ENV = {
    "LUOSHI_PROFILE": "production",
    "ALLOWED_HOSTS": "luoshi.example.gov.cn",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "DEBUG": "false",
}


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LUOSHI_", "DJANGO_", "DATABASE_"))}
    env.update(PRODUCTION_ENV)
    # A real key, as an operator would generate one: long, random, not Django's insecure default.
    env["SECRET_KEY"] = secrets.token_urlsafe(64)
    env["LUOSHI_FIELD_KEYS"] = "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    env["LUOSHI_AUDIT_KEY"] = secrets.token_urlsafe(48)
    env["LUOSHI_DATA_DIR"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "luoshi.config.settings"
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.own_database
def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    result = run(["-m", "django", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.own_database
def test_production_settings(tmp_path: Path) -> None:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE,"
        "'session_httponly': s.SESSION_COOKIE_HTTPONLY, 'hsts': s.SECURE_HSTS_SECONDS,"
        "'ssl_redirect': s.SECURE_SSL_REDIRECT, 'debug': s.DEBUG,"
        "'csp': 'csp.middleware.CSPMiddleware' in s.MIDDLEWARE,"
        "'ratelimit': 'luoshi.core.ratelimit.RateLimitMiddleware' in s.MIDDLEWARE,"
        "'limits_on': s.LUOSHI_RATE_LIMITS_ENABLED}))"
    )
    result = run(["-c", code], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "session_secure": True,
        "csrf_secure": True,
        "session_httponly": True,
        "hsts": 31536000,
        "ssl_redirect": True,
        "debug": False,
        "csp": True,
        "ratelimit": True,
        "limits_on": True,
    }


def test_every_page_carries_the_security_headers(client: Client, city: City) -> None:
    client.force_login(city.wang)
    for path in ("/", "/login/", "/no-such-page/", "/api/v1/search?q=x"):
        response = client.get(path)
        assert response["X-Frame-Options"] == "DENY", path
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] == "same-origin", path
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", path
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path


def test_hsts_and_secure_cookies_over_https(client: Client, city: City, settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    response = client.post("/login/", {"username": city.wang.username, "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.cookies["sessionid"]["secure"]
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"
