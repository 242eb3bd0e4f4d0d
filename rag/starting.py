"""The site while it starts: a "building the index…" page (503) until the index is ready, then the site itself.

The first start builds the index for tens of seconds. The server listens from the first second so a reader who
opens the page meanwhile learns what is happening, and the page turns into the chat by itself once it is ready.
"""
from __future__ import annotations

import asyncio
import html
import json
import threading
import time
from collections.abc import Callable

RETRY_SECONDS = 3  # Retry-After on every answer given while starting


class AppLifespan:
    """Runs an ASGI app's lifespan (startup, later shutdown) when the server's own lifespan has already begun."""

    def __init__(self, app) -> None:
        self.app, self.inbox, self.outbox, self.task = app, asyncio.Queue(), asyncio.Queue(), None

    async def startup(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        self.task = asyncio.create_task(self.app(scope, self.inbox.get, self.outbox.put))
        await self.inbox.put({"type": "lifespan.startup"})
        reply = await self.outbox.get()
        if reply["type"] != "lifespan.startup.complete":
            raise RuntimeError(reply.get("message") or "the site did not start")

    async def shutdown(self) -> None:
        if self.task is None or self.task.done():
            return
        await self.inbox.put({"type": "lifespan.shutdown"})
        await self.outbox.get()
        await self.task


class StartingSite:
    """ASGI app: serves `waiting` (the starting page, behind the same Host check) until `build()` has returned the
    site in a background thread, then the site. A failed build stops `server` and is raised by `raise_failure()`."""

    def __init__(self, build: Callable[[], object], guard: Callable[[object], object], title: str = "",
                 on_ready: Callable[[], None] = lambda: None) -> None:
        self.build, self.site, self.error, self.server = build, None, None, None
        self.waiting = guard(self._starting)
        self.title, self.on_ready = title, on_ready
        self.started = time.monotonic()
        self._lifespan: AppLifespan | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan_loop(receive, send)
        if self.site is not None:
            return await self.site(scope, receive, send)
        return await self.waiting(scope, receive, send)

    def raise_failure(self) -> None:
        if self.error is not None:
            raise self.error

    async def _lifespan_loop(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                loop = asyncio.get_running_loop()
                threading.Thread(target=self._build, args=(loop,), name="rag-build", daemon=True).start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._lifespan is not None:
                    await self._lifespan.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _build(self, loop) -> None:
        try:
            site = self.build()
            asyncio.run_coroutine_threadsafe(self._open(site), loop).result()
        except BaseException as exc:  # raised again in the main thread once the server has stopped
            self.error = exc
            if self.server is not None:
                self.server.should_exit = True

    async def _open(self, site) -> None:
        lifespan = AppLifespan(site)
        await lifespan.startup()
        self._lifespan, self.site = lifespan, site
        self.on_ready()

    async def _starting(self, scope, receive, send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})  # try again later
            return
        path = scope.get("path", "/")
        accept = dict(scope.get("headers") or []).get(b"accept", b"")
        if path.rstrip("/").endswith("/api") or "/api/" in path or b"text/html" not in accept:
            body = json.dumps({"error": "the index of the articles is being built; try again in a moment",
                               "retry_after": RETRY_SECONDS}).encode()
            kind = b"application/json"
        else:
            body, kind = starting_page(self.title, time.monotonic() - self.started).encode(), b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", kind), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(RETRY_SECONDS).encode()), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})


def starting_page(title: str, seconds: float) -> str:
    """The page shown while the index is built: what is happening, and a script that opens the chat once it is up."""
    name = html.escape(title or "Ask the articles")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name} — getting ready</title>
<noscript><meta http-equiv="refresh" content="{RETRY_SECONDS}"></noscript>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; color: #1f2937; background: #fff; }}
main {{ max-width: 40rem; margin: 12vh auto 0; padding: 0 1.25rem; }}
h1 {{ font-size: 1.5rem; margin: 0 0 1rem; }}
p {{ line-height: 1.5; }}
.muted {{ color: #4b5563; }}
progress {{ width: 100%; height: 0.75rem; accent-color: #c2410c; }}
</style></head>
<body><main>
<h1>{name}</h1>
<p id="state" role="status"><strong>Building the index of the articles…</strong></p>
<progress aria-label="Building the index"></progress>
<p class="muted">This takes a minute or so the first time. The chat opens here by itself as soon as it is ready
(started <span id="since">{int(seconds)}</span> s ago).</p>
</main>
<script>
(function () {{
  const opened = Date.now() - {int(seconds * 1000)};
  setInterval(function () {{
    document.getElementById("since").textContent = Math.round((Date.now() - opened) / 1000);
  }}, 1000);
  function check() {{
    fetch(location.href, {{ cache: "no-store", headers: {{ Accept: "text/html" }} }})
      .then(function (r) {{ if (r.status !== 503) location.reload(); else setTimeout(check, 1500); }})
      .catch(function () {{ setTimeout(check, 1500); }});
  }}
  setTimeout(check, 1500);
}})();
</script>
</body></html>"""
