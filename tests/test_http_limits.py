"""What one request or one client may cost the served app: body size, uploads, history, echo, rate, Host, docs.

Every test talks to `python app.py` (or create_app under uvicorn) over real sockets on 127.0.0.1.
"""
from __future__ import annotations

from http.client import HTTPResponse
import json
import select
import socket
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import CORPUS, ROOT, ServedInThread, copy_index, free_port, start_process, stop_process, subprocess_env

LIMIT = 64 * 1024  # the default RAG_MAX_BODY_BYTES
MB = 1024 * 1024
QUESTION = "What builds trust?"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, article_index) -> Path:
    return copy_index(article_index, tmp_path_factory.mktemp("limits") / "data")


def start_app(data: Path, log_name: str, **env: str) -> SimpleNamespace:
    port = free_port()
    gradio_tmp = data.parent / f"{log_name}-gradio-tmp"
    gradio_tmp.mkdir(exist_ok=True)
    environment = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(data), RAG_PORT=str(port),
                                 GRADIO_TEMP_DIR=str(gradio_tmp), **env)
    log_path = data.parent / f"{log_name}.log"
    proc, log = start_process([sys.executable, str(ROOT / "app.py")], environment, port, log_path)
    return SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port, proc=proc, log=log, gradio_tmp=gradio_tmp,
                           log_path=log_path)


@pytest.fixture(scope="module")
def app(index_dir):
    """The app with default limits, except no rate limit (these tests ask many questions)."""
    served = start_app(index_dir, "app", RAG_API_RATE_LIMIT="0")
    yield served
    stop_process(served.proc, served.log)
    assert "Traceback" not in served.log_path.read_text()


def http(url: str, body: bytes | dict | None = None, headers: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def send_raw(port: int, head: str, chunks, timeout: float = 10) -> tuple[int, object]:
    """Send the request head, then body chunks until the server answers; (status, JSON or text body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1"))
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered (or closed): stop sending
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        response = HTTPResponse(sock)
        response.begin()
        raw = response.read()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode("utf-8", "replace")


def post_raw(port: int, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, object]:
    """POST `body` with its Content-Length, stopping as soon as the server answers (it may refuse before the end)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return send_raw(port, head, (body[i:i + 65536] for i in range(0, len(body), 65536)))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# --- bodies and uploads -------------------------------------------------------------------------------------------

def test_uploads_are_refused_and_nothing_lands_in_gradio_temp(app):
    for size in (MB, 4096, 0):
        body, kind = multipart(f"blob-{size}.bin", b"U" * size)
        status, payload = post_raw(app.port, "/gradio_api/upload", body, kind)
        assert 400 <= status < 500 and "upload" in payload["error"], (size, status, str(payload)[:200])
    time.sleep(0.5)  # gradio moves uploads to its cache in a background task
    assert not [p for p in app.gradio_tmp.rglob("*") if p.is_file()], "not even an empty file is kept"


def test_a_large_body_gets_413_before_it_is_read_and_memory_stays_flat(app):
    http(app.url + "/api/ask", {"question": QUESTION})  # warm: the first answer loads what answering needs
    before = rss_kb(app.proc.pid)
    started = time.monotonic()
    status, payload = post_raw(app.port, "/api/ask", json.dumps({"question": "x" * (5 * MB)}).encode())
    elapsed = time.monotonic() - started
    assert status == 413 and "limit" in payload["error"], payload
    assert elapsed < 3, elapsed
    grown = rss_kb(app.proc.pid) - before
    assert grown < 8 * 1024, f"the server's RSS grew by {grown} kB"


def test_a_declared_huge_body_is_refused_from_its_headers(app):
    head = (f"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1:{app.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {300 * MB}\r\n\r\n")
    status, payload = send_raw(app.port, head, (b"x" * 65536 for _ in range(128)), timeout=5)  # 8 MB of 300
    assert status == 413 and isinstance(payload, dict) and payload["error"], payload


def test_a_chunked_body_over_the_limit_gets_413(app):
    head = (f"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1:{app.port}\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n")
    piece = b"y" * 32768
    chunks = [b'{"question": "'] + [piece] * 160 + [b'"}']  # 5 MB, no Content-Length
    framed = (f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in [*chunks, b""])
    status, payload = send_raw(app.port, head, framed)
    assert status == 413 and "limit" in payload["error"], payload


def test_gradio_routes_have_the_same_body_limit(app):
    fat = {"data": ["q" * (5 * MB), None], "fn_index": 0, "session_hash": "fat"}
    status, payload = post_raw(app.port, "/gradio_api/queue/join", json.dumps(fat).encode())
    assert status == 413 and "limit" in payload["error"], str(payload)[:200]
    status, payload = post_raw(app.port, "/gradio_api/call/chat", json.dumps({"data": ["q" * (5 * MB), []]}).encode())
    assert status == 413, str(payload)[:200]


# --- the chat: history, echo, context ------------------------------------------------------------------------------

def chat_event(url: str) -> tuple[int, list[str]]:
    """The fn_index of the chat box's submit event and the kinds of its inputs, from the page's config."""
    status, config = http(url + "/config")
    assert status == 200
    kinds = {c["id"]: c["type"] for c in config["components"]}
    for index, dependency in enumerate(config["dependencies"]):
        if any(trigger == "submit" for _, trigger in dependency["targets"]):
            return index, [kinds[i] for i in dependency["inputs"]]
    raise AssertionError("no submit event on the page")


def submit(url: str, question: str, session: str, history: list | None = None) -> list[dict] | None:
    """Ask through the page's own submit event (the browser's protocol); returns the chat's messages afterwards,
    None when the chat did not change."""
    index, kinds = chat_event(url)
    given = {"textbox": question, "chatbot": history or [], "state": None}
    body = {"data": [given[k] for k in kinds], "fn_index": index, "session_hash": session, "event_data": None,
            "trigger_id": None}
    status, joined = http(url + "/gradio_api/queue/join", body)
    assert status == 200, joined
    with urllib.request.urlopen(f"{url}/gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        for raw in stream:
            line = raw.decode("utf-8").strip()
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed" and message.get("event_id") == joined["event_id"]:
                    assert message["success"], str(message)[:500]
                    outputs = message["output"]["data"]
                    return next((o for o in outputs if isinstance(o, list)), None)
    raise AssertionError("the event did not complete")


def text_of(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def test_chat_history_stays_bounded_whatever_the_browser_sends(app):
    injected = [{"role": role, "content": [{"type": "text", "text": f"injected {i}"}]}
                for i in range(150) for role in ("user", "assistant")]
    messages = submit(app.url, QUESTION, "injected", injected)
    assert not any("injected" in text_of(m) for m in messages), "the browser's history is not taken in"
    session = "long-talk"
    for i in range(25):
        messages = submit(app.url, f"{QUESTION} ({i})", session)
    assert len(messages) <= 40, f"{len(messages)} messages: the chat keeps at most 20 turns"
    assert "(24)" in text_of(messages[-2]) and "(0)" not in "".join(text_of(m) for m in messages)


def test_chat_echoes_at_most_the_question_limit(app):
    long_question = "w" * 50_000  # under the body limit, over the 4,000-character question limit
    assert submit(app.url, long_question, "echo") is None, "the chat takes nothing in (the page keeps it in its box)"
    from gradio_client import Client

    answer = Client(app.url, verbose=False).predict(long_question, [], api_name="/chat")
    assert "limit" in answer["error"] and len(answer["question"]) <= 4_100


def test_context_must_be_a_short_list_of_questions(app):
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    for context in ("How can couples build emotional intimacy?", ["ok", 42], ["q?"] * 21, ["x" * 5000], {"a": 1}):
        reply = client.predict(QUESTION, context, api_name="/chat")
        assert "context" in reply.get("error", ""), (str(context)[:40], str(reply)[:200])
    assert client.predict(QUESTION, ["How can couples build trust?"], api_name="/chat")["citations"]
    status, payload = http(app.url + "/api/ask", {"question": QUESTION, "context": ["x" * 5000]})
    assert status in (400, 422) and "context" in payload["error"], payload


# --- Host header and docs -------------------------------------------------------------------------------------------

def test_the_host_header_must_name_this_server(app):
    for host in (f"localhost:{app.port}", f"127.0.0.1:{app.port}", f"[::1]:{app.port}", "localhost"):
        assert http(app.url + "/api/openapi.json", headers={"Host": host})[0] == 200, host
    for host in ("evil.example", f"evil.example:{app.port}", "127.0.0.1.evil.example", "localhost.evil.example"):
        for path, body in (("/api/ask", {"question": QUESTION}), ("/", None), ("/config", None)):
            status, payload = http(app.url + path, body, {"Host": host})
            assert status == 400 and "host" in payload["error"].lower(), (host, path, status, str(payload)[:200])


def test_configured_hosts_and_the_bound_address_are_allowed(assistant):
    from rag.assistant import Assistant
    from rag.web import create_app

    settings = replace(assistant.settings, allowed_hosts="rag.example.org, *.intranet.example", host="192.0.2.7")
    hosted = Assistant(settings, assistant.store, assistant.embedder)
    with ServedInThread(create_app(hosted)) as served:
        for host in ("rag.example.org", "RAG.example.org:443", "docs.intranet.example", "192.0.2.7:7860", "localhost"):
            assert http(served.url + "/api/openapi.json", headers={"Host": host})[0] == 200, host
        for host in ("example.org", "intranet.example.evil", "192.0.2.8"):
            assert http(served.url + "/api/openapi.json", headers={"Host": host})[0] == 400, host


def test_api_docs_render_offline(app):
    status, page = http(app.url + "/api/docs")
    assert status == 200 and isinstance(page, str)
    assert "POST" in page and "/ask" in page and "question" in page and "context" in page
    assert all(code in page for code in ("400", "413", "422", "429")), "every documented answer is listed"
    lowered = page.lower()
    assert "<script" not in lowered and "cdn" not in lowered and "src=\"http" not in lowered
    assert "href=\"http" not in lowered, "nothing on the page comes from another site"


# --- rate limit and forwarded headers -------------------------------------------------------------------------------

@pytest.mark.slow  # fills every face's budget
def test_forwarded_for_does_not_escape_the_limit_and_every_face_is_limited(app, index_dir):
    limited = start_app(index_dir, "limited", RAG_API_RATE_LIMIT="3")
    try:
        codes = [http(limited.url + "/api/ask", {"question": QUESTION}, {"X-Forwarded-For": f"10.0.0.{i}"})[0]
                 for i in range(5)]
        assert codes == [200, 200, 200, 429, 429], codes
        from gradio_client import Client

        reply = Client(limited.url, verbose=False).predict(QUESTION, [], api_name="/chat")
        assert "too many questions" in reply.get("error", ""), str(reply)[:200]
        messages = submit(limited.url, QUESTION, "limited-page")
        assert "too many questions" in text_of(messages[-1]).lower(), text_of(messages[-1])
    finally:
        stop_process(limited.proc, limited.log)


@pytest.mark.slow  # an app of its own; the test above limits the Gradio API too, beside the other faces
def test_gradio_api_alone_is_limited(app, index_dir):
    limited = start_app(index_dir, "limited-gradio", RAG_API_RATE_LIMIT="3")
    try:
        from gradio_client import Client

        client = Client(limited.url, verbose=False)
        replies = [client.predict(QUESTION, [], api_name="/chat") for _ in range(4)]
        assert [("error" in r) for r in replies] == [False, False, False, True], [str(r)[:80] for r in replies]
        assert "too many questions" in replies[-1]["error"]
    finally:
        stop_process(limited.proc, limited.log)


def test_forwarded_for_is_read_only_from_a_trusted_proxy(app, index_dir):
    proxied = start_app(index_dir, "proxied", RAG_API_RATE_LIMIT="3", RAG_TRUSTED_PROXIES="127.0.0.1")
    try:
        codes = [http(proxied.url + "/api/ask", {"question": QUESTION}, {"X-Forwarded-For": f"10.0.0.{i}"})[0]
                 for i in range(5)]
        assert codes == [200] * 5, "behind a trusted proxy, each forwarded address has its own budget"
        same = [http(proxied.url + "/api/ask", {"question": QUESTION}, {"X-Forwarded-For": "10.9.9.9"})[0]
                for _ in range(4)]
        assert same == [200, 200, 200, 429], same
    finally:
        stop_process(proxied.proc, proxied.log)
