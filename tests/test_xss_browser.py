"""Markup in an article or a question is shown as text in the real browser, and no script runs."""
from __future__ import annotations

import pytest

from conftest import ARTIFACTS, running_app

ARTICLE = """---
title: Tomatoes <img src=x onerror="window.__xss='title'">
---

# Watering <script>window.__xss='heading'</script>

Water tomato plants deeply twice a week <img src=x onerror="window.__xss='passage'"> and mulch the soil to keep it moist <script>window.__xss='script'</script>.

Tomatoes need at least six hours of direct sunlight <svg onload="window.__xss='svg'"></svg> every day.
"""


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    (corpus / "tomatoes.md").write_text(ARTICLE, encoding="utf-8")
    with running_app(corpus, tmp_path_factory.mktemp("hostile-data")) as url:
        yield url


def test_markup_renders_inert(browser, hostile_app):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_app, wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    for n, question in enumerate(["How often should tomato plants be watered?",
                                  '<img src=x onerror="window.__xss=\'question\'"> how much sun do tomatoes need?'
                                  '<script>window.__xss="q2"</script>']):
        page.fill("#question textarea", question)
        page.keyboard.press("Enter")
        page.wait_for_function(
            "n => { const b = document.querySelectorAll('#chat .bot'); return b.length > n && "
            "b[b.length - 1].innerText.includes('Sources ·'); }", arg=n, timeout=60_000)
    for summary in page.locator("#chat details.sources summary").all():
        summary.click()
    cite = page.locator("#chat a.cite").first
    cite.hover()
    assert "<img src=x onerror=" in cite.locator(".cite-card").inner_text(), "the hover card shows markup as text"
    page.locator("#chat [data-testid='bot']").first.evaluate("m => window.ragChat.plainText(m)")
    text = page.locator("#chat").inner_text()
    assert "<img src=x onerror=" in text, "the article's markup is shown as text"
    assert "window.__xss='question'" in text, "the question's markup is shown as text"
    assert page.evaluate("window.__xss") is None, "no injected script ran"
    assert page.locator("img[src='x'], #chat script, svg[onload]").count() == 0, "no element came from the markup"
    assert "<img src=x" in page.inner_text("#intro"), "the article's title is shown as text"
    assert not dialogs
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-xss-1280x800.png"))
    page.close()
