"""What one request or one client may cost the site: body size and Host (ASGI middleware), questions per minute."""
from __future__ import annotations

import json
import threading
import time
from collections import deque

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_BINDS = ("", "0.0.0.0", "::", "[::]")


async def send_error(send, status: int, message: str, headers: tuple = ()) -> None:
    """A whole JSON {"error": message} response."""
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value
    return None


class _BodyTooLarge(Exception):
    """Raised from receive() once a streamed body passes the limit, to stop the app reading it."""


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets 413 and {"error"} and is never read past the limit.

    A Content-Length over the limit is refused before anything is read; a body without one (chunked) is counted
    as it streams. File uploads (multipart bodies) get 415: the chat has no file input, and Gradio would keep
    even empty files. Only paths under `prefix` are checked (the chat mounted into another site); 0 = no limit.
    """

    def __init__(self, app, max_bytes: int, prefix: str = "") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = prefix.rstrip("/")

    def _applies(self, scope) -> bool:
        path = scope.get("path", "")
        under = not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")
        return scope["type"] == "http" and under

    async def _refuse(self, send) -> None:
        await send_error(send, 413, f"the request body is over the limit of {self.max_bytes:,} bytes",
                         ((b"connection", b"close"),))

    async def __call__(self, scope, receive, send):
        if not self._applies(scope):
            return await self.app(scope, receive, send)
        if (_header(scope, b"content-type") or b"").lstrip().lower().startswith(b"multipart/"):
            return await send_error(send, 415, "this site takes no file uploads", ((b"connection", b"close"),))
        if self.max_bytes <= 0:
            return await self.app(scope, receive, send)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return await send_error(send, 400, "the Content-Length header is not a number",
                                        ((b"connection", b"close"),))
            if int(declared) > self.max_bytes:
                return await self._refuse(send)
        received, refused, started = 0, False, False

        async def counted_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return  # whatever the app says about the cut-off body is dropped; the 413 goes out instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise
        if refused and not started:
            await self._refuse(send)


def host_name(header: str) -> str | None:
    """The lower-case host of a Host header without its port ("[::1]" keeps its brackets); None when malformed."""
    header = header.strip().lower()
    if header.startswith("["):
        name, bracket, port = header.partition("]")
        name += bracket
        if not bracket or (port and not (port.startswith(":") and port[1:].isdigit())):
            return None
    else:
        name, colon, port = header.partition(":")
        if colon and not port.isdigit():
            return None
    name = name.rstrip(".")
    return name or None


def allowed_hosts(bind: str, configured: str) -> list[str]:
    """Loopback names, the address the server binds (unless it is a wildcard) and the configured names."""
    hosts = list(LOOPBACK_HOSTS)
    if bind not in WILDCARD_BINDS:
        hosts.append(f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind)
    hosts += [h.strip() for h in configured.split(",") if h.strip()]
    return [h.lower() for h in hosts]


class HostCheck:
    """ASGI middleware: a request whose Host header names none of `hosts` gets 400 (stops DNS rebinding).

    A pattern "*.example.org" allows its subdomains; "*" allows any host.
    """

    def __init__(self, app, hosts: list[str]) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts}
        self.suffixes = tuple(h[1:] for h in self.hosts if h.startswith("*."))

    def allows(self, header: bytes | None) -> bool:
        if "*" in self.hosts:
            return True
        name = host_name(header.decode("latin-1")) if header else None
        return name is not None and (name in self.hosts or name.endswith(self.suffixes))

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self.allows(_header(scope, b"host")):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send_error(send, 400, "unknown host in the Host header; set RAG_ALLOWED_HOSTS to serve this name")


class RateLimit:
    """At most `per_minute` questions per client address in any 60 seconds (0 = no limit), shared by every face."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """0 when the question may go ahead (and is counted), else seconds until it may."""
        if self.per_minute <= 0:
            return 0
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # forget clients idle for a minute, so memory stays bounded
                self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] < 60}
            times = self._seen.setdefault(client, deque())
            while times and now - times[0] >= 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return max(1, int(60 - (now - times[0])) + 1)
            times.append(now)
            return 0

    @staticmethod
    def message(wait: int) -> str:
        return f"too many questions from your address; try again in {wait} s"
