"""Security of the served app: loopback by default, Gradio's file routes expose nothing, /api/ask is rate-limited."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace

from conftest import ROOT, ServedInThread
from rag.settings import Settings


def status_of(url: str, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_defaults_bind_loopback(served_app):
    assert Settings().host == "127.0.0.1"
    url, data = served_app
    assert "http://127.0.0.1:" in (data / "app.log").read_text()
    listening = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout if sys.platform == "linux" else ""
    port = url.rsplit(":", 1)[1]
    lines = [ln for ln in listening.splitlines() if f":{port} " in ln]
    assert lines and all("127.0.0.1:" in ln for ln in lines), lines


def test_file_routes_serve_neither_the_data_folder_nor_the_sources(served_app):
    url, data = served_app
    secrets = [data / "chroma" / "chroma.sqlite3", data / "app.log", ROOT / "rag" / "settings.py",
               ROOT / "pyproject.toml", ROOT / "corpus" / "emotional-intimacy.md", "/etc/passwd"]
    for path in secrets:
        for route in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
            got = status_of(url + route + urllib.parse.quote(str(path)))
            assert got in (403, 404, 405), (route, path, got)
    for traversal in ("/gradio_api/file=../../../../etc/passwd", "/static/../../rag/settings.py",
                      "/assets/..%2f..%2frag%2fsettings.py"):
        assert status_of(url + traversal) in (403, 404, 405), traversal


def test_api_rate_limit_answers_429_with_retry_after(assistant):
    from rag.assistant import Assistant
    from rag.web import create_app

    limited = Assistant(replace(assistant.settings, api_rate_limit=3), assistant.store, assistant.embedder)
    limited.retriever._keyword, limited.retriever._vocabulary = assistant.retriever.keyword, assistant.retriever.vocabulary
    with ServedInThread(create_app(limited)) as served:
        codes = [status_of(served.url + "/api/ask", {"question": "What builds trust?"}) for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        request = urllib.request.Request(served.url + "/api/ask", data=b'{"question": "again?"}',
                                         headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as exc:
            assert exc.code == 429 and 1 <= int(exc.headers["Retry-After"]) <= 61
            assert "too many questions" in json.loads(exc.read())["error"]
        assert status_of(served.url + "/") == 200, "the page itself is not limited"
