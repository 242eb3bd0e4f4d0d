"""The server restarts while a reader is asking: the page keeps the conversation and sends the question again once
the server is back; a kept conversation the page cannot read gives an empty chat."""
from __future__ import annotations

import sys

import pytest

from browser_chat import BOX, DESKTOP, ask, last_reply, open_chat, replies
from conftest import CORPUS, ROOT, copy_index, free_port, start_process, stop_process, subprocess_env

FIRST = "How can we build emotional intimacy?"
PENDING = "How long does it take to build emotional intimacy?"


class App:
    """`python app.py` on a fixed port and data folder, so that it can be stopped and started again."""

    def __init__(self, data) -> None:
        self.port, self.data = free_port(), data
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = self.log = None

    def start(self) -> None:
        env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(self.data), RAG_PORT=str(self.port),
                             RAG_API_RATE_LIMIT="0")
        self.proc, self.log = start_process([sys.executable, str(ROOT / "app.py")], env, self.port,
                                            self.data / f"app-{self.port}.log")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, self.log)
            self.proc = None


@pytest.fixture(scope="module")
def app(tmp_path_factory, article_index):
    server = App(copy_index(article_index, tmp_path_factory.mktemp("restart") / "data"))
    server.start()
    yield server
    server.stop()


def test_a_question_sent_while_the_server_restarts_is_answered_once_it_is_back(browser, app):
    page, errors = open_chat(browser, app.url, DESKTOP)
    ask(page, FIRST)
    first_answer = last_reply(page).inner_text()
    app.stop()
    page.fill(BOX, PENDING)
    page.keyboard.press("Enter")  # the server is down: nothing can answer this now
    page.wait_for_timeout(2000)
    assert page.evaluate("JSON.parse(localStorage.getItem('rag-chat-pending:/')).q") == PENDING
    app.start()
    page.wait_for_function("""q => { const users = document.querySelectorAll('#chat [data-testid="user"]');
        const bots = document.querySelectorAll('#chat [data-testid="bot"]');
        return users.length == 2 && users[1].innerText.trim() == q && bots.length == 2
               && !bots[1].querySelector('.answer.writing'); }""", arg=PENDING, timeout=90_000)
    assert page.locator('#chat [data-testid="bot"]').first.inner_text() == first_answer, "the first turn is kept"
    assert "no fixed timeline" in last_reply(page).inner_text(), "the pending question got its answer"
    page.wait_for_function("() => localStorage.getItem('rag-chat-pending:/') === null", timeout=10_000)
    page.reload(wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length == 2",
                           timeout=30_000)
    page.wait_for_timeout(1500)
    assert replies(page) == 2, "the answered question is not sent a second time"
    page.close()


def test_a_kept_conversation_that_cannot_be_read_gives_an_empty_chat(browser, app):
    """Damaged browser storage: the chat starts empty, without errors (the signature check is in test_chat_history)."""
    context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]})
    page, errors = open_chat(browser, app.url, DESKTOP, context)
    ask(page, FIRST)
    key = page.evaluate("Object.keys(localStorage).find(k => k.startsWith('rag-chat-') && !k.includes('pending'))")
    assert key, "the conversation is kept in the browser"
    page.wait_for_function("() => localStorage.getItem('rag-chat-pending:/') === null")  # answered: not resent
    page.evaluate("k => localStorage.setItem(k, localStorage.getItem(k).slice(0, -12) + 'AAAAAAAAAAAA')", key)
    page.reload(wait_until="load")
    page.wait_for_selector(BOX)
    page.wait_for_timeout(2000)
    assert replies(page) == 0 and page.locator("#chat .example").count()
    ask(page, FIRST)
    context.close()
    assert not errors, errors
