"""The chat in Debian's chromium (Playwright): stream an answer, read its sources, 👍 it, ask a follow-up.

Screenshots at 1280×800 and 390×844 are saved in test-artifacts/ for people to look at.
"""
from __future__ import annotations

import json
import time

from conftest import ARTIFACTS

FIRST = "How can we build emotional intimacy?"
FOLLOW_UP = "and how long does that take?"


def open_chat(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    return page, errors


def ask(page, question: str, answers_before: int) -> None:
    """Ask, and wait until the answer is complete: its sources block comes after the last streamed piece."""
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        """n => { const bots = document.querySelectorAll('#chat .bot');
                  return bots.length > n && bots[bots.length - 1].innerText.includes('Sources ·'); }""",
        arg=answers_before, timeout=60_000)


def wait_for_file_line(path, predicate, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                if predicate(entry):
                    return entry
        time.sleep(0.2)
    raise AssertionError(f"no matching entry in {path}")


def test_desktop_chat_answers_cites_takes_feedback_and_follows_up(browser, served_app):
    url, data = served_app
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, errors = open_chat(browser, url, 1280, 800)
    intro = page.inner_text("#intro")
    assert "Answers come only from" in intro and "Emotional Intimacy in Relationships" in intro
    assert page.get_by_text("How long does it take to build emotional intimacy?").first.is_visible(), \
        "the empty chat offers the FAQ's questions"
    page.screenshot(path=str(ARTIFACTS / "chat-empty-1280x800.png"))

    ask(page, FIRST, 0)
    answer = page.locator("#chat .bot").first
    assert answer.locator("sup").count() >= 2, "the answer carries [n] markers"
    page.get_by_text("Sources ·").first.click()
    sources = page.locator("#chat").inner_text()
    assert "[1]" in sources and "How to Build and Deepen Emotional Intimacy" in sources
    assert page.locator("#chat mark").first.is_visible(), "the quoted sentences are highlighted"

    page.locator('#chat button[aria-label="Like"]').first.click()
    liked = wait_for_file_line(data / "feedback.jsonl", lambda e: e["question"] == FIRST)
    assert liked["liked"] is True and liked["citations"] and liked["answer"]

    ask(page, FOLLOW_UP, 1)
    assert "no fixed timeline" in page.locator("#chat .bot").last.inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-follow-up-1280x800.png"))
    page.locator("#chat details.sources summary").last.click()
    page.locator("#chat mark").last.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "chat-sources-1280x800.png"))
    page.close()
    assert not errors, errors


def test_phone_chat_is_readable(browser, served_app):
    url, _ = served_app
    page, errors = open_chat(browser, url, 390, 844)
    page.screenshot(path=str(ARTIFACTS / "chat-empty-390x844.png"))
    ask(page, "How is emotional intimacy different from sexual intimacy?", 0)
    page.get_by_text("Sources ·").first.click()
    page.locator("#chat mark").first.scroll_into_view_if_needed()
    assert page.locator("#chat mark").first.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide)"
    page.screenshot(path=str(ARTIFACTS / "chat-answer-390x844.png"))
    page.close()
    assert not errors, errors
