"""Sending one message through one channel: email, a generic JSON webhook, a DingTalk or a WeCom robot.

Every sender raises ``SendFailed`` with a short reason when the receiver did not take the message; the
delivery worker records it and retries later. Outgoing requests go only to hosts on
``LUOSHI_WEBHOOK_ALLOWLIST`` and never follow redirects (a redirect could lead off the list).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, urlsplit

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from luoshi.notifications.models import Channel, ChannelKind

SIGNATURE_HEADER = "X-Luoshi-Signature"
TIMESTAMP_HEADER = "X-Luoshi-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class SendFailed(Exception):
    """The receiver did not take the message (network error, refusal, or an error answer)."""


@dataclass(frozen=True)
class Item:
    """One notification as it goes out."""

    key: str  # the delivery's idempotency key
    kind: str
    headline: str
    reason: str
    url: str
    recipient: str
    task_id: int | None


@dataclass(frozen=True)
class Message:
    """What one request carries: one notification, or a digest of several (``items``)."""

    key: str
    title: str
    items: list[Item] = field(default_factory=list)

    @property
    def is_digest(self) -> bool:
        return len(self.items) > 1

    def markdown(self) -> str:
        lines = [f"#### {self.title}"]
        for item in self.items:
            line = f"- [{item.headline}]({item.url})" if not self.is_digest else f"- {item.headline}"
            if item.recipient:
                line += f" ({item.recipient})"
            lines.append(line)
            if item.reason and not self.is_digest:
                lines.append(f"  > {item.reason}")
        if self.is_digest:
            lines.append(f"[{_('Open Luoshi')}]({settings.LUOSHI_BASE_URL}/)")
        return "\n".join(lines)


def host_allowed(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme in {"http", "https"} and host in {
        h.lower() for h in settings.LUOSHI_WEBHOOK_ALLOWLIST
    }


_clients: dict[int, httpx.Client] = {}


def _client() -> httpx.Client:
    """One connection pool per process (building a client sets up TLS, which is slow; a pool must not be
    shared with forked worker processes)."""
    pid = os.getpid()
    client = _clients.get(pid)
    if client is None:
        client = _clients[pid] = httpx.Client(follow_redirects=False)
    return client


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


def _post(url: str, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    if not host_allowed(url):
        raise SendFailed(
            _("The host %(host)s is not on the webhook allowlist.") % {"host": urlsplit(url).hostname}
        )
    all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        response = _client().post(
            url,
            content=content,
            headers=all_headers,
            timeout=settings.LUOSHI_NOTIFICATIONS["timeout_seconds"],
        )
    except httpx.HTTPError as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        raise SendFailed(f"HTTP {response.status_code}: {response.text[:200]}")
    return response


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``"<timestamp>." + body``; receivers recompute and compare it."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def send_webhook(channel: Channel, message: Message) -> None:
    body = {
        "key": message.key,
        "title": message.title,
        "digest": message.is_digest,
        "items": [
            {
                "key": i.key,
                "kind": i.kind,
                "headline": i.headline,
                "reason": i.reason,
                "url": i.url,
                "recipient": i.recipient,
                "task_id": i.task_id,
            }
            for i in message.items
        ],
    }
    content = _json(body)
    timestamp = str(int(time.time()))
    headers = {IDEMPOTENCY_HEADER: message.key, TIMESTAMP_HEADER: timestamp}
    if channel.secret:
        headers[SIGNATURE_HEADER] = webhook_signature(channel.secret, timestamp, content)
    _post(channel.url, content, headers)


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """DingTalk's "加签": ``timestamp`` (ms) and ``sign`` = urlencode(base64(HMAC-SHA256(secret,
    "<timestamp>\\n<secret>"))) appended to the robot's address."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def _robot_answer(response: httpx.Response) -> None:
    """Both robots answer HTTP 200 with ``{"errcode": 0}`` on success and a non-zero code otherwise."""
    try:
        answer = response.json()
    except ValueError as exc:
        raise SendFailed(f"unreadable answer: {response.text[:200]}") from exc
    if not isinstance(answer, dict) or answer.get("errcode", 0) != 0:
        raise SendFailed(f"robot refused: {response.text[:200]}")


def send_dingtalk(channel: Channel, message: Message) -> None:
    url = dingtalk_signed_url(channel.url, channel.secret) if channel.secret else channel.url
    body = {"msgtype": "markdown", "markdown": {"title": message.title, "text": message.markdown()}}
    _robot_answer(_post(url, _json(body), {IDEMPOTENCY_HEADER: message.key}))


def send_wecom(channel: Channel, message: Message) -> None:
    body = {"msgtype": "markdown", "markdown": {"content": message.markdown()}}
    _robot_answer(_post(channel.url, _json(body), {IDEMPOTENCY_HEADER: message.key}))


def send_email(address: str, message: Message) -> None:
    item = message.items[0]
    lines = [item.headline]
    if item.reason:
        lines.append(item.reason)
    lines += ["", item.url]
    email = EmailMessage(
        subject=message.title,
        body="\n".join(lines),
        to=[address],
        headers={"X-Luoshi-Idempotency-Key": message.key},
    )
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # any backend error (SMTP, socket, …) is a failed attempt to retry
        raise SendFailed(f"{type(exc).__name__}: {exc}") from exc


SENDERS = {
    ChannelKind.WEBHOOK: send_webhook,
    ChannelKind.DINGTALK: send_dingtalk,
    ChannelKind.WECOM: send_wecom,
}
