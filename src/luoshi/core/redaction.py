"""Masking of personal numbers and secrets in log records.

``RedactingFilter`` is attached to the log handlers (``LOGGING``), so every record of every logger passes
through it before anything is written: the message with its arguments, the formatted traceback, the stack
and any string given in ``extra``. It replaces:

- mainland mobile numbers (``13812345678``, ``+86 138-1234-5678``) by ``[phone]``;
- 18-character citizen ID numbers (GB 11643) by ``[id-number]``;
- secrets it can recognise: Luoshi API tokens (``lsh_…``), encrypted field tokens, field key entries,
  DingTalk signing secrets (``SEC…``), ``otpauth://`` URIs, bearer/token authorisation values, and the
  values of ``password=``, ``secret=``, ``token=``, ``key=``, ``sign=``, ``access_token=`` and the like,
  in query strings and in ``name=value`` or ``name: value`` text.

It cannot know every secret's shape; code must still never log a secret on purpose. The filter is the
safety net for what slips through: a URL with its access token in an error, a form value in a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

PHONE = "[phone]"
ID_NUMBER = "[id-number]"
REDACTED = "[redacted]"

# Mainland mobile numbers: 1, then 3-9, then 9 digits, optionally +86/0086 and grouped 3-4-4.
# Only digits guard the ends: text often runs straight into a number ("电话13812345678", "tel13812345678").
_PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")
# Region (first digit 1-9), birth date 18xx-20xx, sequence, check digit or X.
_ID_NUMBER = re.compile(
    r"(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![\dXx])"
)
_SECRET_PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # otpauth:// URIs carry the second-factor seed.
    (re.compile(r"otpauth://\S+", re.IGNORECASE), "otpauth://" + REDACTED),
    # Encrypted field tokens: not secret by themselves, but nothing a log needs.
    (re.compile(r"enc:v\d+:[A-Za-z0-9_-]+:[a-z0-9-]+:[A-Za-z0-9+/=]+"), "enc:" + REDACTED),
    # Field key entries (id:base64 of 32 bytes).
    (re.compile(r"\b[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}="), REDACTED),
    # Luoshi API tokens.
    (re.compile(r"\blsh_[A-Za-z0-9_-]{16,}"), "lsh_" + REDACTED),
    # DingTalk robot signing secrets.
    (re.compile(r"\bSEC[0-9a-f]{32,}\b"), "SEC" + REDACTED),
    # Authorization header values.
    (
        re.compile(r"\b(Bearer|Token|Basic)\s+[A-Za-z0-9._~+/-]{8,}=*", re.IGNORECASE),
        lambda m: f"{m.group(1)} {REDACTED}",
    ),
    # name=value / name: value, in query strings, form dumps, JSON-ish text and reprs.
    (
        re.compile(
            r"(?i)(\b(?:access_token|api_?key|authorization|key|otp_?secret|passw(?:or)?d|pwd|secret|"
            r"seed|sign|signature|token|totp)\b[\"']?\s*[=:]\s*[\"']?)([^\s&\"',;)}\]]+)"
        ),
        lambda m: m.group(1) + REDACTED,
    ),
]


def redact(text: str) -> str:
    """``text`` with personal numbers and recognisable secrets masked."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    text = _ID_NUMBER.sub(ID_NUMBER, text)
    return _PHONE.sub(PHONE, text)


# Attributes every LogRecord has; anything else came through ``extra`` and is checked too.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


class RedactingFilter(logging.Filter):
    """Masks phone and ID numbers and secrets in a record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call; keep its parts readable, but masked
            message = f"{record.msg} {record.args!r}"
        # The message is formatted once here, so the arguments (which may hold the numbers) are dropped.
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


def mask_url(url: str) -> str:
    """A webhook address fit to show: scheme, host and path kept, every query value and any user
    information replaced, since robots carry their access token or key there (DingTalk, WeCom)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return REDACTED if url else ""
    host = parts.hostname or ""
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    query = "&".join(f"{name}={REDACTED}" for name, _value in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
