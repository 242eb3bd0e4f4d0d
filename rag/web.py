"""Serve the chat and the JSON API, or mount them into an existing FastAPI/Starlette site."""
from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import secrets
import sys

from .guards import WILDCARD_BINDS, BodyLimit, HostCheck, RateLimit, allowed_hosts
from .settings import Settings

logger = logging.getLogger(__name__)

QUEUE_CONCURRENCY = 2  # answers computed at once: one per core; more only queue inside torch


class BasicAuth:
    """ASGI middleware: every request needs HTTP basic credentials `user:password`, else 401.

    `Authorization: Bearer user:password` is taken too: OpenAI clients (Open WebUI, LibreChat) send their API key
    that way and can send nothing else.
    """

    def __init__(self, app, credentials: str) -> None:
        user, sep, password = credentials.partition(":")
        if not sep or not user or not password:
            raise ValueError('RAG_AUTH must look like "user:password"')
        self.app = app
        self._expected = f"{user}:{password}".encode()

    def _allowed(self, scope) -> bool:
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, value = header.partition(b" ")
        if scheme.lower() == b"bearer":
            return secrets.compare_digest(value.strip(), self._expected)
        if scheme.lower() != b"basic":
            return False
        try:
            given = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return secrets.compare_digest(given, self._expected)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self._allowed(scope):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = b'{"error": "authentication required"}'
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"), (b"www-authenticate", b'Basic realm="rag", charset="UTF-8"'),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def mount(app, path: str = "/ask", assistant=None, settings: Settings | None = None):
    """Mount the chat at `path` and the JSON API at `path`/api (POST `path`/api/ask) into a FastAPI app.

    Also the OpenAI-compatible API at `path`/v1 and the widget at `path`/widget.js; pages from the origins of
    settings.cors_origins may call both APIs. Loads the Assistant from the environment when none is given.
    Requests under `path` may carry bodies of at most settings.max_body_bytes; the chat takes no uploads.
    Returns `app`.
    """
    import gradio as gr

    from .api import create_api
    from .chat import build_chat, page_assets
    from .cross_origin import CrossOrigin, cors_origins
    from .feedback import FeedbackLog
    from .openai_api import create_openai_api
    from .widget import widget_script

    if assistant is None:
        from .assistant import Assistant

        assistant = Assistant.load(settings)
    settings = assistant.settings
    path = "/" + path.strip("/") if path.strip("/") else ""
    limit = RateLimit(settings.api_rate_limit)  # one budget per address: the chat, its API, /api/ask and /v1
    app.mount(f"{path}/api", create_api(assistant, limit))  # before the chat: its mount takes the rest of `path`
    app.mount(f"{path}/v1", create_openai_api(assistant, limit))
    app.add_route(f"{path}/widget.js", widget_script, methods=["GET", "HEAD"])
    demo = build_chat(assistant, FeedbackLog.for_settings(settings), limit)
    demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, prefix=path)
    app.add_middleware(CrossOrigin, origins=cors_origins(settings.cors_origins), prefixes=(f"{path}/api", f"{path}/v1"))
    # The chat has no file input: BodyLimit refuses multipart bodies, and max_file_size=0 makes Gradio refuse any
    # non-empty file should one get past it.
    return gr.mount_gradio_app(app, demo, path=path or "/", **page_assets(), footer_links=["api"], max_file_size=0,
                               server_name=settings.host, server_port=settings.port)


def create_app(assistant=None, settings: Settings | None = None):
    """The whole site: the chat at /, the JSON API at /api/ask (schema at /api/openapi.json, docs at /api/docs),
    the OpenAI-compatible API at /v1 and the widget at /widget.js.

    It answers only requests whose Host names loopback, the bound address or RAG_ALLOWED_HOSTS.
    """
    from fastapi import FastAPI

    app = FastAPI(title="rag", docs_url=None, redoc_url=None, openapi_url=None)
    mount(app, "/", assistant, settings)
    settings = assistant.settings if assistant is not None else settings or Settings.from_env()
    if settings.auth:
        app.add_middleware(BasicAuth, credentials=settings.auth)
    app.add_middleware(HostCheck, hosts=allowed_hosts(settings.host, settings.allowed_hosts))  # outermost
    return app


def trusted_proxies(value: str) -> list[str]:
    """The addresses and networks of RAG_TRUSTED_PROXIES ("*" = any); anything else is dropped with a warning."""
    proxies = []
    for item in (p.strip() for p in value.split(",")):
        try:
            proxies.append(item if item == "*" else str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            if item:
                logger.warning("RAG_TRUSTED_PROXIES: %r is not an IP address or network; ignored", item)
    return ["*"] if "*" in proxies else proxies


def serve(settings: Settings | None = None) -> int:
    """Serve on settings.host:settings.port until interrupted; while the index is built (or loaded), the page says so."""
    import uvicorn

    from .assistant import Assistant
    from .starting import StartingSite

    settings = settings or Settings.from_env()
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    base = f"http://{host}:{settings.port}"
    print(f"rag: chat on {base}/  ·  API: POST {base}/api/ask  ·  OpenAI-compatible: {base}/v1  ·  "
          f"widget: {base}/widget.js  (getting the index ready first)", file=sys.stderr, flush=True)
    if settings.host in WILDCARD_BINDS and not settings.allowed_hosts:
        logger.warning("RAG_HOST=%s: only loopback Host names are answered; set RAG_ALLOWED_HOSTS to the names "
                       "clients use", settings.host)
    proxies = trusted_proxies(settings.trusted_proxies)
    site = StartingSite(lambda: create_app(Assistant.load(settings)),
                        lambda app: HostCheck(app, hosts=allowed_hosts(settings.host, settings.allowed_hosts)),
                        on_ready=lambda: print(f"rag: ready: {base}/", file=sys.stderr, flush=True))
    # Open chat pages hold a connection; without a bound, a stop would wait for every reader to leave.
    # X-Forwarded-For picks the client address (and so its rate limit) only when it comes from a trusted proxy.
    # log_config=None: uvicorn logs through rag's one-line format (rag.console), its warnings shown only with -v.
    site.server = uvicorn.Server(uvicorn.Config(
        site, host=settings.host, port=settings.port, log_level="warning", log_config=None,
        timeout_graceful_shutdown=3, proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None))
    site.server.run()
    site.raise_failure()  # the index could not be built or loaded: app.py prints it as one line
    return 0
