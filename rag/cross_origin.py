"""Which other sites' pages may call the API (CORS): the origins of RAG_CORS_ORIGINS, on the API paths only."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.middleware.cors import CORSMiddleware

from .guards import send_error

logger = logging.getLogger(__name__)


def cors_origins(value: str) -> list[str]:
    """The origins of RAG_CORS_ORIGINS as browsers send them (scheme://host[:port]); "*" = any; others dropped."""
    origins = []
    for item in (o.strip() for o in value.split(",")):
        parts = urlsplit(item)
        if item == "*":
            origins.append(item)
        elif parts.scheme in ("http", "https") and parts.netloc and not (parts.path.strip("/") or parts.query):
            origins.append(f"{parts.scheme}://{parts.netloc}".lower())
        elif item:
            logger.warning("RAG_CORS_ORIGINS: %r is not an origin like https://blog.example.org; ignored", item)
    return ["*"] if "*" in origins else origins


class CrossOrigin:
    """ASGI middleware: CORS for the paths under `prefixes` (the JSON and OpenAI-compatible APIs).

    No credentials cross-origin: a page elsewhere can never ask with a reader's RAG_AUTH login. A refused
    preflight gets 403 and {"error"}; everything else is Starlette's CORSMiddleware.
    """

    def __init__(self, app, origins: list[str], prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.prefixes = tuple(p.rstrip("/") for p in prefixes)
        self.cors = CORSMiddleware(app, allow_origins=origins, allow_methods=("GET", "POST"),
                                   allow_headers=("Authorization", "Content-Type"), max_age=600)

    def _applies(self, scope) -> bool:
        path = scope.get("path", "")
        return scope["type"] == "http" and any(path == p or path.startswith(p + "/") for p in self.prefixes)

    async def __call__(self, scope, receive, send):
        if not self._applies(scope):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        origin = headers.get(b"origin", b"").decode("latin-1")
        preflight = scope["method"] == "OPTIONS" and b"access-control-request-method" in headers
        if preflight and not self.cors.is_allowed_origin(origin):
            return await send_error(send, 403, f"pages from {origin} may not call this API; "
                                               "the site lists the origins it allows in RAG_CORS_ORIGINS")
        return await self.cors(scope, receive, send)
