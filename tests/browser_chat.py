"""Helpers for the chat's browser tests: open the page, ask, wait for a reply, run axe-core, read the feedback log."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from conftest import ARTIFACTS, ROOT

AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"  # `make test` installs it from npm
DESKTOP, PHONE = (1280, 800), (390, 844)
BOX = "#question textarea"
LAST_REPLY_DONE = """n => { const b = document.querySelectorAll('#chat [data-testid="bot"]');
    return b.length > n && !b[b.length - 1].querySelector('.answer.writing'); }"""


def open_chat(browser, url: str, size=DESKTOP, context=None):
    """A new page (in `context`, or a new one) on the chat, once its question box is there; (page, errors)."""
    context = context or browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="load")
    page.wait_for_selector(BOX, timeout=60_000)
    page.wait_for_function("() => window.ragChat !== undefined", timeout=10_000)
    return page, errors


def replies(page) -> int:
    return page.locator('#chat [data-testid="bot"]').count()


def wait_reply(page, before: int, timeout: float = 60_000) -> None:
    """Wait until there are more than `before` replies and the last one is finished."""
    page.wait_for_function(LAST_REPLY_DONE, arg=before, timeout=timeout)


def ask(page, question: str) -> None:
    """Type `question`, press Enter and wait for its reply to be complete."""
    before = replies(page)
    page.fill(BOX, question)
    page.keyboard.press("Enter")
    wait_reply(page, before)


def wait_suggestions(page, timeout: float = 30_000):
    page.wait_for_selector("#chat .options .option", timeout=timeout)
    return [t.strip() for t in page.locator("#chat .options .option").all_inner_texts()]


def last_reply(page):
    return page.locator('#chat [data-testid="bot"]').last


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA and best practices)."""
    if not AXE.exists():  # `make test` installs it; a bare pytest run does it here, the same way
        subprocess.run(["npm", "install", "--prefix", str(AXE.parents[2]), "--no-audit", "--no-fund", "--silent",
                        "axe-core@4"], check=True, timeout=180, capture_output=True)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document)).violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def shot(page, name: str, size) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"chat-{name}-{size[0]}x{size[1]}.png"
    page.screenshot(path=str(path))
    return path


def feedback_entries(data: Path) -> list[dict]:
    path = data / "feedback.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def wait_for_entry(data: Path, predicate, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in feedback_entries(data):
            if predicate(entry):
                return entry
        time.sleep(0.2)
    raise AssertionError(f"no matching feedback entry in {data / 'feedback.jsonl'}: {feedback_entries(data)[-3:]}")


def headings(article: Path) -> set[str]:
    """The article's headings, as written."""
    return {line.lstrip("#").strip() for line in article.read_text(encoding="utf-8").splitlines()
            if line.startswith("#")}
