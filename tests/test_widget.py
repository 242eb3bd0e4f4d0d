"""widget.js in Debian's chromium (Playwright): a page served from another port loads it with one script tag, opens
the panel from the keyboard, and streams cited answers; a page from an origin not in RAG_CORS_ORIGINS is refused.

Screenshots at 1280×800 and 390×844 are saved in test-artifacts/ for people to look at.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
import urllib.error
import urllib.request
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import ARTIFACTS, ServedInThread, free_port

from rag.composer import REFUSAL

FIRST = "How can couples build emotional intimacy?"
FOLLOW_UP = "and how long does that take?"
OFF_TOPIC = "What is the capital of France?"
ROOT = "document.querySelector('[data-rag-widget]').shadowRoot"


class StaticSite:
    """Fixed HTML pages on a free loopback port, served from a background thread: the site that embeds the widget."""

    def __init__(self, pages: dict[str, str]) -> None:
        class Pages(BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Pages)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "StaticSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def blog_page(script_tag: str) -> str:
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            "content=\"width=device-width, initial-scale=1\"><title>A blog</title></head><body>"
            "<main><h1>A post about relationships</h1><p>Some words of the post.</p></main>"
            f"{script_tag}</body></html>")


@contextmanager
def widget_sites(assistant):
    """(the rag site, the blog): the blog's origin http://127.0.0.1:<port> is the one RAG_CORS_ORIGINS lists.

    The blog's "/" loads the widget with one script tag; "/styled.html" sets its options.
    """
    from rag.assistant import Assistant
    from rag.web import create_app

    pages: dict[str, str] = {}  # filled once the rag site's address is known
    with StaticSite(pages) as blog:
        settings = replace(assistant.settings, cors_origins=f"http://127.0.0.1:{blog.port}", api_rate_limit=0)
        widget_assistant = Assistant(settings, assistant.store, assistant.embedder)
        widget_assistant.retriever._keyword = assistant.retriever.keyword
        widget_assistant.retriever._vocabulary = assistant.retriever.vocabulary
        with ServedInThread(create_app(widget_assistant)) as served:
            script = f'<script src="{served.url}/widget.js" defer'
            pages["/"] = blog_page(f"{script}></script>")
            pages["/styled.html"] = blog_page(f'{script} data-title="Ask our guide" data-position="left" '
                                              'data-colour="#ffd700"></script>')
            yield served, blog


@pytest.fixture(scope="module")
def sites(assistant):
    with widget_sites(assistant) as both:
        yield both


def open_page(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="load")
    return page, errors


def ask(page, question: str, answers_before: int) -> None:
    """Type the question, press Enter, and wait until that answer is complete (no longer aria-busy)."""
    page.keyboard.type(question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"""n => {{ const answers = {ROOT}.querySelectorAll('.answer');
                   return answers.length > n && answers[answers.length - 1].getAttribute('aria-busy') === 'false'; }}""",
        arg=answers_before, timeout=60_000)


def active_element(page) -> str:
    return page.evaluate(f"(() => {{ const a = {ROOT}.activeElement; return a ? a.className || a.id : ''; }})()")


def test_a_page_on_another_origin_streams_cited_answers_through_the_widget(browser, sites):
    rag_site, blog = sites
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, errors = open_page(browser, f"http://127.0.0.1:{blog.port}/", 1280, 800)
    calls = []
    page.on("request", lambda r: calls.append(r) if r.url.endswith("/v1/chat/completions") else None)

    launcher = page.get_by_role("button", name="Ask the articles")
    launcher.wait_for(timeout=30_000)
    assert launcher.get_attribute("aria-expanded") == "false"
    launcher.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Ask the articles")
    assert dialog.is_visible() and launcher.get_attribute("aria-expanded") == "true"
    assert active_element(page) == "rag-question", "opening the panel puts the focus in the question box"
    assert page.get_by_role("log").count() == 1, "answers land in a live region a screen reader reads out"

    # Count the text pieces added to the answer while it streams.
    page.evaluate(f"""() => {{ window.__pieces = 0;
        new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(n => {{
            if (n.nodeType === Node.TEXT_NODE && n.parentElement.closest('.answer[aria-busy="true"]')) window.__pieces++;
        }}))).observe({ROOT}.querySelector('.log'), {{ childList: true, subtree: true }}); }}""")
    ask(page, FIRST, 0)
    assert page.evaluate("window.__pieces") >= 2, "the answer arrived in pieces"
    body = json.loads(calls[0].post_data)
    assert body["stream"] is True and body["messages"] == [{"role": "user", "content": FIRST}]
    assert calls[0].response().headers["content-type"].startswith("text/event-stream")

    answer = page.locator(".answer").first
    text = answer.locator(".text").inner_text()
    assert "[1]" in text and answer.get_by_role("button", name="source 1").count() >= 1
    sources = answer.get_by_role("region", name="Sources")
    assert "[1] Emotional Intimacy in Relationships" in sources.inner_text()
    answer.get_by_role("button", name="source 1").first.click()
    assert sources.locator("details").first.get_attribute("open") is not None, "a marker opens its passage"
    assert sources.locator("mark").first.is_visible(), "the quoted sentences are highlighted"
    page.screenshot(path=str(ARTIFACTS / "widget-answer-1280x800.png"))

    page.locator("#rag-question").focus()
    ask(page, FOLLOW_UP, 1)
    assert "no fixed timeline" in page.locator(".answer").last.inner_text(), "the earlier question is the context"
    assert json.loads(calls[1].post_data)["messages"][0] == {"role": "user", "content": FIRST}

    page.keyboard.press("Escape")
    assert not dialog.is_visible() and launcher.get_attribute("aria-expanded") == "false"
    assert active_element(page) == "launcher", "closing gives the focus back to the button"
    page.close()
    assert not errors, errors


def test_options_by_data_attributes_and_the_phone_layout(browser, sites):
    _, blog = sites
    page, errors = open_page(browser, f"http://127.0.0.1:{blog.port}/styled.html", 390, 844)
    launcher = page.get_by_role("button", name="Ask our guide")
    launcher.wait_for(timeout=30_000)
    box = launcher.bounding_box()
    assert box["x"] < 100 and box["y"] > 700, "data-position=left puts the button in the bottom left corner"
    colours = launcher.evaluate("b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]")
    assert colours == ["rgb(255, 215, 0)", "rgb(0, 0, 0)"], "data-colour, with dark text on a light colour"
    launcher.click()
    panel = page.get_by_role("dialog", name="Ask our guide").bounding_box()
    assert panel["width"] == 390 and panel["height"] == 844, "on a phone the panel takes the whole screen"
    ask(page, OFF_TOPIC, 0)
    answer = page.locator(".answer").last
    assert answer.inner_text().startswith(REFUSAL) and "refused" in answer.get_attribute("class")
    assert answer.locator(".sources").count() == 0
    page.screenshot(path=str(ARTIFACTS / "widget-phone-390x844.png"))
    page.get_by_role("button", name="Close").click()
    assert not page.get_by_role("dialog").is_visible() and launcher.is_visible()
    page.close()
    assert not errors, errors


def preflight(url: str, origin: str) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def test_a_page_from_an_origin_not_listed_is_refused(browser, sites):
    rag_site, blog = sites
    url = rag_site.url + "/v1/chat/completions"
    status, headers, _ = preflight(url, f"http://127.0.0.1:{blog.port}")
    assert status == 200 and headers["access-control-allow-origin"] == f"http://127.0.0.1:{blog.port}"
    assert "access-control-allow-credentials" not in {k.lower() for k in headers}, "never with the reader's login"
    status, headers, body = preflight(url, f"http://localhost:{blog.port}")
    assert status == 403 and "RAG_CORS_ORIGINS" in json.loads(body)["error"]
    assert "access-control-allow-origin" not in {k.lower() for k in headers}

    # The same page from http://localhost:<port>, another origin: the script loads, the question is refused.
    page, errors = open_page(browser, f"http://localhost:{blog.port}/", 1280, 800)
    console = []
    page.on("console", lambda m: console.append(m.text))
    page.get_by_role("button", name="Ask the articles").click()
    ask(page, FIRST, 0)
    alert = page.get_by_role("alert")
    assert "could not be reached" in alert.inner_text()
    assert "[1]" not in page.locator(".answer").inner_text()
    assert any("CORS" in line for line in console), console
    page.close()
    assert not errors, errors


HOSTILE = """---
title: Tomatoes <img src=x onerror="window.__xss='title'">
---

# Watering <script>window.__xss='heading'</script>

Water tomato plants deeply twice a week <img src=x onerror="window.__xss='passage'"> and mulch the soil to keep it moist <script>window.__xss='script'</script>.
"""


def test_markup_from_an_article_or_a_question_stays_text_in_the_host_page(browser, embedder, tmp_path):
    from rag.assistant import Assistant
    from rag.ingest import ingest
    from rag.settings import Settings
    from rag.store import PassageStore

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "tomatoes.md").write_text(HOSTILE, encoding="utf-8")
    settings = Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    store = PassageStore(settings)
    ingest(settings, store=store, embedder=embedder, progress=False)
    with widget_sites(Assistant(settings, store, embedder)) as (_, blog):
        page, errors = open_page(browser, f"http://127.0.0.1:{blog.port}/", 1280, 800)
        page.get_by_role("button", name="Ask the articles").click()
        ask(page, 'How often should tomato plants be watered? <img src=x onerror="window.__xss=1">', 0)
        page.locator(".sources summary").first.click()
        shown = page.locator(".log").inner_text()
        assert "<img src=x onerror=\"window.__xss='passage'\">" in shown and "[1]" in shown
        assert "<img src=x onerror=\"window.__xss=1\">" in shown, "the question is shown as typed"
        assert "Tomatoes <img src=x" in shown, "the title too"
        assert page.evaluate("window.__xss") is None, "no injected script ran"
        assert page.evaluate(f"{ROOT}.querySelectorAll('img, script').length") == 0
        page.close()
        assert not errors, errors
