"""Structured logs: JSON lines with the request's id, user, method and path; one access line a request."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from unittest import mock

import pytest
from django.db import OperationalError, connection

from luoshi.core.logging import JsonFormatter, RequestLogFilter
from luoshi.core.redaction import RedactingFilter


class Captured:
    """Records of the named loggers, filtered and formatted as the console handler does."""

    def __init__(self, formatter: logging.Formatter) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.addFilter(RequestLogFilter())
        self.handler.setFormatter(formatter)

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def json(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def captured() -> Iterator[Captured]:
    capture = Captured(JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("luoshi.access", "luoshi.ops.health")]
    for logger in loggers:
        logger.addHandler(capture.handler)
    try:
        yield capture
    finally:
        for logger in loggers:
            logger.removeHandler(capture.handler)


def test_one_json_access_line_per_request_with_every_field(client, city, captured):
    client.force_login(city.wang)
    response = client.get("/organizations/?q=13812345678")
    (line,) = [entry for entry in captured.json() if entry["logger"] == "luoshi.access"]
    assert list(line)[:8] == ["time", "level", "logger", "message", "request_id", "user_id", "path", "method"]
    assert line["level"] == "INFO"
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == city.wang.pk
    assert (line["method"], line["path"], line["status"]) == ("GET", "/organizations/", response.status_code)
    assert isinstance(line["duration_ms"], float)
    assert line["time"].endswith("+00:00")
    # The query string (search terms, perhaps a telephone number) is never logged.
    assert "13812345678" not in captured.stream.getvalue()


def test_anonymous_requests_have_no_user_and_keep_the_proxys_request_id(client, db, captured):
    response = client.get("/organizations/", HTTP_X_REQUEST_ID="lb-42")
    assert response.status_code == 302
    (line,) = captured.json()
    assert line["request_id"] == "lb-42"
    assert line["user_id"] is None
    assert line["status"] == 302


def test_a_healthy_health_check_writes_no_access_line(client, db, captured):
    assert client.get("/health").status_code == 200
    assert captured.lines() == []


def test_lines_written_during_a_request_carry_its_context(client, db, captured):
    refused = OperationalError("down")
    with mock.patch.object(connection, "cursor", side_effect=refused):
        response = client.get("/health")
    assert response.status_code == 503
    entries = captured.json()
    failure = next(entry for entry in entries if entry["logger"] == "luoshi.ops.health")
    assert failure["level"] == "ERROR"
    assert failure["request_id"] == response["X-Request-ID"]
    assert (failure["method"], failure["path"]) == ("GET", "/health")
    assert "exc_info" in failure
    access = next(entry for entry in entries if entry["logger"] == "luoshi.access")
    assert access["status"] == 503


def test_outside_a_request_the_context_fields_are_null():
    capture = Captured(JsonFormatter())
    record = logging.LogRecord("luoshi.worker", logging.WARNING, __file__, 1, "sweep took %d s", (3,), None)
    capture.handler.handle(record)
    (line,) = capture.json()
    assert line["message"] == "sweep took 3 s"
    assert line["request_id"] is None
    assert line["user_id"] is None
    assert line["path"] is None


def test_chinese_messages_stay_readable():
    capture = Captured(JsonFormatter())
    record = logging.LogRecord("luoshi", logging.INFO, __file__, 1, "督查室 %s", ("铁西区",), None)
    capture.handler.handle(record)
    assert "督查室 铁西区" in capture.stream.getvalue()


def test_plain_format_keeps_the_request_id(client, db):
    capture = Captured(logging.Formatter("%(levelname)s [%(request_id)s] %(message)s"))
    logger = logging.getLogger("luoshi.access")
    logger.addHandler(capture.handler)
    try:
        response = client.get("/login/")
    finally:
        logger.removeHandler(capture.handler)
    assert capture.lines() == [
        f"INFO [{response['X-Request-ID']}] GET /login/ 200 " + capture.lines()[0].split()[-1]
    ]


def configured_formatter(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.LOGGING['handlers']['console']['formatter'])"
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LUOSHI_")}
    full_env.update({"DJANGO_SETTINGS_MODULE": "luoshi.config.settings", "SECRET_KEY": "x" * 50, **env})
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.own_database
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LUOSHI_PROFILE": "production"}, "json"),
        ({"LUOSHI_PROFILE": "demo"}, "plain"),
        ({"LUOSHI_PROFILE": "production", "LUOSHI_LOG_FORMAT": "plain"}, "plain"),
        ({"LUOSHI_LOG_FORMAT": "json"}, "json"),
    ],
)
def test_log_format_setting(env, expected, tmp_path):
    result = configured_formatter({"LUOSHI_DATA_DIR": str(tmp_path), **env})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.own_database
def test_an_unknown_log_format_is_refused(tmp_path):
    result = configured_formatter({"LUOSHI_DATA_DIR": str(tmp_path), "LUOSHI_LOG_FORMAT": "xml"})
    assert result.returncode != 0
    assert "LUOSHI_LOG_FORMAT must be json or plain" in result.stderr


def test_the_console_handler_adds_the_request_then_masks():
    (console,) = [
        h for h in logging.getLogger().handlers if any(isinstance(f, RedactingFilter) for f in h.filters)
    ]
    kinds = [type(f) for f in console.filters]
    assert kinds.index(RequestLogFilter) < kinds.index(RedactingFilter)


def test_json_lines_mask_phone_numbers_even_in_tracebacks():
    capture = Captured(JsonFormatter())
    capture.handler.addFilter(RedactingFilter())
    logger = logging.getLogger("luoshi.tests.redaction")
    logger.addHandler(capture.handler)
    logger.propagate = False
    try:
        try:
            raise ValueError("no person with telephone 13812345678")
        except ValueError:
            logger.exception("lookup of %s failed", "13912345678")
    finally:
        logger.removeHandler(capture.handler)
        logger.propagate = True
    (line,) = capture.json()
    assert line["message"] == "lookup of [phone] failed"
    assert "[phone]" in line["exc_info"]
    assert "1381234" not in capture.stream.getvalue()
    assert "1391234" not in capture.stream.getvalue()
