"""Logs never hold phone numbers, ID numbers or recognisable secrets, however they were logged."""

from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings

from luoshi.core.redaction import RedactingFilter, redact

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"电话{PHONE}，请回电", "电话[phone]，请回电"),
        ("+86 138-1234-5678.", "[phone]."),
        ("call 8613812345678", "call [phone]"),
        (f"身份证号{ID_NUMBER}", "身份证号[id-number]"),
        ("id 11010519491231002x;", "id [id-number];"),
        (
            "send?access_token=abc123&timestamp=1&sign=x%3D",
            "send?access_token=[redacted]&timestamp=1&sign=[redacted]",
        ),
        ("webhook/send?key=693a91f6-7bd0", "webhook/send?key=[redacted]"),
        ('{"secret": "SECabc", "name": "robot"}', '{"secret": "[redacted]", "name": "robot"}'),
        ("password=hunter2 user=bob", "password=[redacted] user=bob"),
        ("token lsh_abcdefghijklmnopqrstuv", "token lsh_[redacted]"),
        ("otpauth://totp/Luoshi:bob?secret=JBSWY3DPEHPK3PXP", "otpauth://[redacted]"),
        ("enc:v1:ka:aes-gcm:AAAA+/==", "enc:[redacted]"),
        ("ka:" + "A" * 43 + "=", "[redacted]"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "task 12345 moved to 2026-11-26",
        "took 1700000000000 ns",
        "region 210302, 42 rows",
        "count=138123456789",  # 12 digits: not a mobile number
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


@pytest.fixture
def log_output():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(message)s|%(detail)s"))
    logger = logging.getLogger("luoshi.tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.removeHandler(handler)


def test_filter_masks_message_args_extra_and_traceback(log_output):
    logger, stream = log_output
    logger.info("person %s has phone %s", {"id_number": ID_NUMBER}, PHONE, extra={"detail": f"tel:{PHONE}"})
    try:
        raise ValueError(f"bad phone {PHONE}")
    except ValueError:
        logger.exception("failed for %s", ID_NUMBER, extra={"detail": "-"})
    text = stream.getvalue()
    assert PHONE not in text
    assert ID_NUMBER not in text
    assert "[phone]" in text
    assert "[id-number]" in text
    assert "ValueError: bad phone [phone]" in text


def test_filter_survives_a_malformed_call(log_output):
    logger, stream = log_output
    logger.info("two %s %s", PHONE, extra={"detail": "-"})
    assert PHONE not in stream.getvalue()


def test_logging_configuration_uses_the_filter():
    filters = settings.LOGGING["filters"]
    wanted = "luoshi.core.redaction.RedactingFilter"
    names = [name for name, spec in filters.items() if spec.get("()") == wanted]
    assert names, "RedactingFilter is not configured"
    for handler in settings.LOGGING["handlers"].values():
        assert set(names) & set(handler.get("filters", [])), handler
