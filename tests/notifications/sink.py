"""A local HTTP sink for webhook tests: a threaded ``http.server`` on 127.0.0.1 that records every
request, answering with a configurable status (and optionally after a delay)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Sink:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    # Every request, taken or refused.
    attempts: list[Received] = field(default_factory=list)
    status: int = 200
    answer: bytes = b'{"errcode": 0, "errmsg": "ok"}'
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set when a request has arrived and is being held for ``delay`` seconds.
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def keys(self) -> list[str]:
        """Every idempotency key seen, a digest counting for each notification it carries."""
        with self.lock:
            requests = list(self.received)
        keys: list[str] = []
        for request in requests:
            body = request.json()
            if isinstance(body, dict) and "items" in body:
                keys.extend(item["key"] for item in body["items"])
            else:
                keys.append(request.headers.get("Idempotency-Key", ""))
        return keys

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_sink() -> Sink:
    sink: Sink

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with sink.lock:
                sink.attempts.append(Received(self.path, dict(self.headers.items()), body))
            if sink.delay:
                sink.arrived.set()
                threading.Event().wait(sink.delay)
            status = sink.status
            if status < 300:
                # Recorded only when taken, as a real receiver would (a 500 means "not taken").
                with sink.lock:
                    sink.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(sink.answer)))
            self.end_headers()
            self.wfile.write(sink.answer)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    sink = Sink(server=server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return sink
