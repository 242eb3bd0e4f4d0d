"""axe-core (from npm, injected into the page; no CDN) finds no serious or critical violation in the chat: empty, after
an answer, after a refusal, with sources open, with the 👎 comment box and an edit box, at 1280×800 and 390×844.

Each state is saved as a screenshot in test-artifacts/ for people to look at.
"""
from __future__ import annotations

import pytest

from browser_chat import DESKTOP, PHONE, ask, axe_violations, last_reply, open_chat, shot, wait_suggestions


def clean(page, state: str, size) -> None:
    shot(page, state, size)
    found = axe_violations(page)
    assert not found, f"{state} at {size[0]}×{size[1]}: " + "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in found)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
def test_no_serious_or_critical_violations(browser, served_app, size):
    url, _ = served_app
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page, errors = open_chat(browser, url, size, context)
    page.wait_for_selector("#chat .example")
    clean(page, "empty", size)
    assert page.get_by_role("textbox", name="Your question").count() == 1, "the question box has a name"
    assert page.locator("h1").all_inner_texts() == ["Ask the articles"], "one h1"

    ask(page, "How can we build emotional intimacy?")
    wait_suggestions(page)
    clean(page, "answer", size)
    for button in page.locator("#chat button, #ask").all():
        if button.is_visible():
            box = button.bounding_box()
            assert box["width"] >= 24 and box["height"] >= 24, (button.get_attribute("aria-label"), box)

    ask(page, "What is the capital of France?")
    wait_suggestions(page)
    clean(page, "refusal", size)

    first = page.locator('#chat [data-testid="bot"]').first
    first.locator("a.cite").first.click()
    page.wait_for_selector("#chat li.source.flash")
    clean(page, "sources", size)

    first.locator("a.cite").nth(1).hover()
    clean(page, "citation-card", size)
    page.mouse.move(0, 0)

    page.locator('#chat .bot-row').last.locator('button[aria-label="Dislike"]').click()
    page.locator("#feedback-comment textarea").wait_for(state="visible")
    clean(page, "feedback", size)
    question = page.locator("#question").bounding_box()
    assert question["y"] + question["height"] <= size[1], "the comment row leaves the question box in view"

    page.locator('#chat .user-row button[aria-label="Edit"]').last.click()
    page.locator("#chat textarea.edit-textarea").wait_for(state="visible")
    clean(page, "edit", size)
    page.locator('#chat button[aria-label="Cancel"]').click()
    assert last_reply(page).is_visible()
    context.close()
    assert not errors, errors
