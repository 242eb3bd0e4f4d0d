"""The chat while an answer is being written (a language model streaming slowly): typing is kept, nothing is sent
twice, Stop stops, Retry asks again; and sources link into the original article when its front matter gives a URL.

The model is tests/fake_openai.py on 127.0.0.1, writing a word every PACE seconds, as a real one would.
"""
from __future__ import annotations

import re

import pytest

from browser_chat import BOX, DESKTOP, last_reply, open_chat, shot, wait_reply
from conftest import FAQ_ARTICLE, running_app
from fake_openai import FakeOpenAI, numbered_passages
from rag.sentences import split_sentences

PACE = 0.15  # seconds between streamed words
URL = "https://example.org/articles/emotional-intimacy?ref=chat"
QUESTION = "How long does it take to build emotional intimacy?"
TOMATOES = """---
title: Growing Tomatoes
url: javascript:alert(document.domain)
---

# Growing Tomatoes

## Sunlight

Tomatoes need at least six hours of direct sunlight every day. Plants grown in shade produce little fruit.
"""


@pytest.fixture(scope="module")
def slow_app(tmp_path_factory):
    """The article (with a `url` in its front matter) and a page whose `url` is not http(s), answered by a slow LLM."""
    corpus = tmp_path_factory.mktemp("url-corpus")
    text = FAQ_ARTICLE.read_text(encoding="utf-8")
    (corpus / "emotional-intimacy.md").write_text(text.replace("---\n", f"---\nurl: {URL}\n", 1), encoding="utf-8")
    (corpus / "tomatoes.md").write_text(TOMATOES, encoding="utf-8")
    calls = []

    def reply(body):
        """Four sentences of the passages, each with its marker; a different mix on each call."""
        calls.append(body)
        passages = numbered_passages(body)
        order = sorted(passages)[len(calls) % len(passages):] + sorted(passages)
        picked = [(n, s.rstrip(".")) for n in order for s in split_sentences(passages[n])[:2]][:4]
        return " ".join(f"{s} [{n}]." for n, s in picked)  # "claim [n]." as models write it

    with FakeOpenAI(reply, pace=PACE) as llm, \
            running_app(corpus, tmp_path_factory.mktemp("url-data"), RAG_LLM_BASE_URL=llm.url,
                        RAG_LLM_MODEL="fake-model", RAG_API_RATE_LIMIT="0") as url:
        yield url, calls


def send(page, question: str) -> None:
    page.fill(BOX, question)
    page.keyboard.press("Enter")


def writing(page) -> None:
    """Wait until an answer is being written: Stop shows and some of its text has arrived."""
    page.wait_for_selector("#stop", state="visible", timeout=20_000)
    page.wait_for_function("""() => { const w = document.querySelector('#chat .answer.writing');
                                      return w && /\\[\\d+\\]/.test(w.innerText); }""", timeout=30_000)


def test_typing_during_an_answer_is_kept_and_not_sent_twice(browser, slow_app):
    url, _ = slow_app
    page, errors = open_chat(browser, url)
    send(page, QUESTION)
    writing(page)
    page.click(BOX)
    page.keyboard.type("and with friends?")
    before = page.locator('#chat [data-testid="bot"] .answer').inner_text()
    page.keyboard.press("Enter")  # while the answer is written: nothing is sent, nothing is cleared
    page.wait_for_function("b => document.querySelector('#chat .answer') && "
                           "document.querySelector('#chat .answer').innerText !== b", arg=before, timeout=30_000)
    assert page.input_value(BOX) == "and with friends?", "streamed updates leave the box alone"
    assert page.locator("#ask").is_hidden() and page.locator("#stop").is_visible()
    wait_reply(page, 0)
    assert page.input_value(BOX) == "and with friends?", "the typed follow-up is still there after the answer"
    assert page.locator('#chat [data-testid="user"]').count() == 1, "the Enter pressed while answering sent nothing"
    assert "empty" not in page.locator("#chat").inner_text()
    assert page.locator("#ask").is_visible() and page.locator("#stop").is_hidden()
    assert page.evaluate("document.activeElement === document.querySelector('#question textarea')"), \
        "the box keeps the focus while the answer arrives"
    page.keyboard.press("Enter")
    wait_reply(page, 1)
    assert page.locator('#chat [data-testid="user"]').last.inner_text().strip() == "and with friends?"
    assert page.input_value(BOX) == ""
    page.close()
    assert not errors, errors


def test_stop_keeps_what_was_written_and_retry_asks_again(browser, slow_app):
    url, calls = slow_app
    page, errors = open_chat(browser, url)
    send(page, QUESTION)
    writing(page)
    page.click("#stop")
    page.wait_for_selector("#chat .answer.stopped", timeout=10_000)
    stopped = last_reply(page).inner_text()
    assert "Stopped." in stopped and re.search(r"\[\d\]", stopped), "the text written so far stays, marked stopped"
    assert page.locator("#ask").is_visible() and page.locator("#stop").is_hidden()
    assert page.evaluate("document.activeElement === document.querySelector('#question textarea')"), \
        "focus goes back to the question box, not to <body>"
    page.wait_for_timeout(int(PACE * 6 * 1000))
    assert last_reply(page).inner_text() == stopped, "nothing more arrives after Stop"

    asked = len(calls)
    last_reply(page).hover()
    page.locator('#chat button[aria-label="Retry"]').last.click()
    page.wait_for_selector("#chat .answer.writing", timeout=10_000)
    wait_reply(page, 0)
    assert len(calls) == asked + 1, "Retry asked the model again"
    assert page.locator('#chat [data-testid="user"]').count() == 1, "Retry replaces the reply, not adds a turn"
    assert "Stopped." not in last_reply(page).inner_text() and last_reply(page).locator("a.cite").count()
    page.close()
    assert not errors, errors


def test_sources_link_into_the_article_when_it_has_a_url(browser, slow_app):
    url, _ = slow_app
    page, errors = open_chat(browser, url, DESKTOP)
    send(page, QUESTION)
    wait_reply(page, 0)
    reply = last_reply(page)
    reply.locator("summary").click()
    link = reply.locator(".source-link a").first
    href = link.get_attribute("href")
    assert href.startswith(URL + "#:~:text="), href
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    assert "(opens in a new tab)" in link.inner_text()
    shot(page, "source-link", DESKTOP)
    page.close()
    assert not errors, errors

    page, errors = open_chat(browser, url, DESKTOP)
    send(page, "How many hours of sunlight do tomatoes need?")
    wait_reply(page, 0)
    last_reply(page).locator("summary").click()
    sources = last_reply(page).locator("li.source")
    tomatoes = [i for i in range(sources.count()) if "Tomatoes need" in sources.nth(i).inner_text()]
    assert tomatoes, "the tomato passage is cited"
    for i in range(sources.count()):
        links = sources.nth(i).locator(".source-link a")
        if i in tomatoes:
            assert links.count() == 0, "a url that is not http(s) gives no link"
        else:
            assert links.get_attribute("href").startswith(URL + "#:~:text=")
    assert page.locator("a[href^='javascript'], a[href*='alert(']").count() == 0
    page.close()
    assert not errors, errors
