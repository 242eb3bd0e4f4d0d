"""GET widget.js: the script that adds an "Ask the articles" button and chat panel to any page."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

SCRIPT = Path(__file__).with_name("static") / "widget.js"


@cache
def _script() -> bytes:
    return SCRIPT.read_bytes()


async def widget_script(request: Request) -> Response:
    """The widget, for any page to load with <script src=".../widget.js" defer> (a script tag needs no CORS)."""
    return Response(_script(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})
