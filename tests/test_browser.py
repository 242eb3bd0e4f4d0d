"""The chat in Debian's chromium (Playwright), as a reader uses it: answers whose [n] open their source, plain-text
copy, suggestions from the articles, 👍/👎 with thanks and a comment, input edges, edit and resend, reload and 🗑,
and the phone layout. One served app (tests/conftest.py served_app) for the module.
"""
from __future__ import annotations

import re

from browser_chat import (BOX, DESKTOP, PHONE, ask, feedback_entries, headings, last_reply, open_chat, replies,
                          wait_for_entry, wait_reply, wait_suggestions)
from conftest import FAQ_ARTICLE

FIRST = "How can we build emotional intimacy?"
FOLLOW_UP = "and how long does that take?"
REFUSED = "What is the capital of France?"
HEADINGS = headings(FAQ_ARTICLE)


def fresh(browser, url, size=DESKTOP):
    """A page with an empty conversation: a context of its own, so nothing is kept from another test."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page, errors = open_chat(browser, url, size, context)
    return page, errors


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def test_citations_open_their_source_and_show_the_quote(browser, served_app):
    url, _ = served_app
    page, errors = fresh(browser, url)
    ask(page, FIRST)
    reply = last_reply(page)
    cites = reply.locator(".answer a.cite")
    assert cites.count() >= 2, "each sentence ends with a link to its source"
    assert not reply.locator("details.sources").evaluate("d => d.open")

    cites.nth(1).click()
    target = cites.nth(1).get_attribute("href")[1:]
    source = reply.locator(f"li.source#{target}")
    page.wait_for_function("id => document.getElementById(id).classList.contains('flash')", arg=target)
    assert reply.locator("details.sources").evaluate("d => d.open"), "[n] opens the sources"
    assert source.evaluate("li => document.activeElement === li"), "and moves focus to its source"
    box = source.bounding_box()
    assert 0 <= box["y"] < DESKTOP[1], "the source is scrolled into view"
    marked = " ".join(source.locator("mark").all_inner_texts())

    cites.nth(1).hover()
    card = cites.nth(1).locator(".cite-card")
    assert card.is_visible(), "hovering [n] shows a card"
    quote = card.locator(".cite-quote").inner_text().strip("“”")
    assert quote.split(" … ")[0].rstrip("…")[:40] in marked, "the card quotes the sentence marked in the source"
    card_box, log_box = card.bounding_box(), page.locator('#chat [role="log"]').bounding_box()
    assert log_box["x"] <= card_box["x"] and card_box["x"] + card_box["width"] <= log_box["x"] + log_box["width"] + 1
    page.mouse.move(0, 0)
    assert not card.is_visible()

    page.focus(BOX)
    page.keyboard.press("Shift+Tab")  # keyboard users reach [n] too, and see the same card on focus
    for _ in range(40):
        if page.evaluate("document.activeElement.matches('a.cite')"):
            break
        page.keyboard.press("Shift+Tab")
    focused = page.locator("a.cite:focus")
    assert focused.locator(".cite-card").is_visible()
    page.keyboard.press("Escape")
    assert not focused.locator(".cite-card").is_visible(), "Escape dismisses the card"
    page.close()
    assert not errors, errors


def test_copy_gives_plain_text_with_numbered_sources(browser, served_app):
    url, _ = served_app
    page, errors = fresh(browser, url)
    ask(page, FIRST)
    reply = last_reply(page)
    label = reply.get_attribute("aria-label")
    assert "<" not in label and label.startswith("Answer: ") and "[1]" in label, label

    reply.hover()
    page.locator('#chat [data-testid="bot"]').last.locator("xpath=ancestor::div[contains(@class,'message-row')]") \
        .locator('button[aria-label="Copy message"]').click()
    page.wait_for_function("() => navigator.clipboard.readText().then(t => t.includes('Sources:'))")
    text = clipboard(page)
    assert "<" not in text and "details" not in text and "sup>" not in text, text
    answer, sources = text.split("\n\nSources:\n")
    assert re.search(r"\[1\]", answer) and "Share and validate emotions" in answer
    assert sources.startswith("[1] How to Build and Deepen Emotional Intimacy — “Emotional Intimacy in Relationships")
    numbers = re.findall(r"^\[(\d+)\] ", sources, flags=re.M)
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)] and len(numbers) >= 2, sources
    assert "Listen actively: Give your full attention." in sources

    page.locator('#chat [data-testid="user"]').first.hover()
    page.locator('#chat .user-row button[aria-label="Copy message"]').first.click()
    page.wait_for_function("q => navigator.clipboard.readText().then(t => t === q)", arg=FIRST)

    page.locator('#chat button[aria-label="Copy conversation"]').click()
    page.wait_for_function("() => navigator.clipboard.readText().then(t => t.startsWith('Question: '))")
    whole = clipboard(page)
    assert whole.startswith(f"Question: {FIRST}\n\nAnswer: ") and "<" not in whole
    page.close()
    assert not errors, errors


def test_suggestions_come_from_the_articles_and_get_answers(browser, served_app):
    url, _ = served_app
    page, errors = fresh(browser, url)
    example = page.locator("#chat .example").first
    asked = example.inner_text().strip()
    assert page.locator("#chat .examples").get_attribute("role") == "group"
    example.click()
    assert page.evaluate("document.activeElement === document.querySelector('#question textarea')"), \
        "after an example is clicked, focus is on the question box, not <body>"
    wait_reply(page, 0)
    assert page.locator('#chat [data-testid="user"]').first.inner_text().strip() == asked

    related = wait_suggestions(page)
    assert 2 <= len(related) <= 3, related
    assert set(related) <= HEADINGS, f"suggestions are the article's own headings: {related}"
    assert asked not in related
    assert page.locator("#chat .options").get_attribute("aria-label") == "Related questions"

    ask(page, REFUSED)
    assert "don't cover" in last_reply(page).inner_text()
    topics = wait_suggestions(page)
    assert 1 <= len(topics) <= 3 and set(topics) <= HEADINGS, topics
    assert page.locator("#chat .options").get_attribute("aria-label") == "Nearest topics in the articles"

    before = replies(page)
    page.locator("#chat .options .option").first.click()
    assert page.evaluate("document.activeElement === document.querySelector('#question textarea')")
    wait_reply(page, before)
    assert page.locator('#chat [data-testid="user"]').last.inner_text().strip() == topics[0]
    reply = last_reply(page)
    assert reply.locator(".answer.refusal").count() == 0 and reply.locator("a.cite").count(), \
        "a suggested topic is one the articles answer"
    page.close()
    assert not errors, errors


def test_feedback_thanks_asks_for_a_comment_and_keeps_error_replies(browser, served_app):
    url, data = served_app
    page, errors = fresh(browser, url)
    ask(page, FOLLOW_UP.replace("and how", "How") + " (feedback)")
    row = page.locator('#chat .bot-row').last
    like, dislike = row.locator('button[aria-label="Like"]'), row.locator('button[aria-label="Dislike"]')
    assert like.bounding_box()["x"] < dislike.bounding_box()["x"], "👍 comes before 👎"

    like.click()
    page.wait_for_selector("#feedback-status:has-text('Thanks for your feedback')")
    entry = wait_for_entry(data, lambda e: e["question"].endswith("(feedback)") and e["liked"])
    assert entry["citations"] and entry["answer"]

    row.locator('button[aria-label="Dislike"]').click()
    comment = page.locator("#feedback-comment textarea")
    comment.wait_for(state="visible")
    page.wait_for_function("() => document.activeElement === document.querySelector('#feedback-comment textarea')")
    comment.fill("It should say how long it takes.")
    page.click("#feedback-send")
    page.wait_for_selector("#feedback-status:has-text('your comment was saved')")
    assert comment.is_hidden()
    wait_for_entry(data, lambda e: e.get("comment") == "It should say how long it takes." and not e["liked"])

    page.fill(BOX, "What is emotional\u0007 intimacy?")  # a control character: the reply is an error line
    page.keyboard.press("Enter")
    wait_reply(page, 1)
    assert "⚠️" in last_reply(page).inner_text() and "control" in last_reply(page).inner_text()
    page.locator('#chat .bot-row').last.locator('button[aria-label="Dislike"]').click()
    page.wait_for_selector("#feedback-status:has-text('Thanks for your feedback')")
    error = wait_for_entry(data, lambda e: e.get("error") and "emotional" in e["question"])
    assert not error["liked"] and "control" in error["answer"]
    assert all(isinstance(e["liked"], bool) for e in feedback_entries(data))
    page.close()
    assert not errors, errors


def test_empty_and_over_long_questions_stay_out_of_the_chat(browser, served_app):
    url, _ = served_app
    page, errors = fresh(browser, url)
    ask_button = page.locator("#ask")
    assert ask_button.is_disabled(), "Ask is disabled while the box is empty"
    page.focus(BOX)
    page.keyboard.press("Enter")
    page.fill(BOX, "   ")
    assert ask_button.is_disabled()
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert replies(page) == 0 and page.locator("#chat .example").count() >= 2, "no empty bubble; examples stay"

    page.fill(BOX, "x" * 3_500)
    assert ask_button.is_enabled()
    assert page.locator("#q-count").inner_text() == "3,500 / 4,000 characters", "a counter near the limit"
    long_question = "Why? " + "w" * 4_045
    page.fill(BOX, long_question)
    count = page.locator("#q-count").inner_text()
    assert count.startswith("4,050 / 4,000 characters") and "50 over the limit" in count, count
    assert page.get_attribute(BOX, "aria-invalid") == "true"
    assert ask_button.is_disabled()
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert replies(page) == 0, "an over-long question is not sent"
    assert page.input_value(BOX) == long_question, "and it stays in the box to be shortened"
    page.fill(BOX, "How long does it take to build emotional intimacy?")
    assert page.locator("#q-count").inner_text() == "" and ask_button.is_enabled()
    page.click("#ask")
    wait_reply(page, 0)
    assert "no fixed timeline" in last_reply(page).inner_text()
    page.close()
    assert not errors, errors


def test_edit_and_resend_the_last_question(browser, served_app):
    url, _ = served_app
    page, errors = fresh(browser, url)
    ask(page, FIRST)
    page.locator('#chat [data-testid="user"]').last.hover()
    page.locator('#chat .user-row button[aria-label="Edit"]').last.click()
    edit = page.locator("#chat textarea.edit-textarea")
    edit.wait_for(state="visible")
    assert edit.input_value() == FIRST and edit.get_attribute("aria-label")
    edit.fill("How long does it take to build emotional intimacy?")
    page.locator('#chat button[aria-label="Submit"]').click()
    page.wait_for_function("() => document.querySelector('#chat .answer') && "
                           "document.querySelector('#chat .answer').innerText.includes('no fixed timeline')",
                           timeout=30_000)
    wait_reply(page, 0)
    questions = page.locator('#chat [data-testid="user"]').all_inner_texts()
    assert [q.strip() for q in questions] == ["How long does it take to build emotional intimacy?"], \
        "the edited question replaces the old one and is answered again"
    assert replies(page) == 1
    page.close()
    assert not errors, errors


def test_reload_keeps_the_conversation_and_the_bin_clears_it(browser, served_app):
    url, _ = served_app
    context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]})
    page, errors = open_chat(browser, url, DESKTOP, context)
    ask(page, FIRST)
    ask(page, FOLLOW_UP)
    before = page.locator("#chat").inner_text()
    page.reload(wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length == 2",
                           timeout=30_000)
    assert page.locator("#chat").inner_text() == before, "the conversation comes back as it was"
    last_reply(page).locator("a.cite").first.click()
    assert last_reply(page).locator("li.source.flash").count() == 1, "restored sources still open from [n]"
    ask(page, "and what are the signs that it is missing?")
    assert replies(page) == 3, "the restored conversation goes on (its questions are the follow-up's context)"

    page.locator('#chat button[aria-label="Clear"]').click()
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length == 0")
    page.reload(wait_until="load")
    page.wait_for_selector(BOX)
    page.wait_for_timeout(1500)
    assert replies(page) == 0 and page.locator("#chat .example").count(), "🗑 cleared it for good"
    context.close()
    assert not errors, errors


def test_phone_keeps_the_header_small_and_the_question_in_view(browser, served_app):
    url, _ = served_app
    page, errors = fresh(browser, url, PHONE)
    header = page.locator("#intro").bounding_box()
    assert header["y"] + header["height"] <= 0.13 * PHONE[1], f"the header takes {header} of an 844 px screen"
    question = "What are common warning signs of low emotional intimacy?"
    ask(page, FIRST)
    ask(page, question)
    asked = page.locator('#chat [data-testid="user"]').last
    box = asked.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE[1], f"the question is out of view: {box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0], "no sideways scrolling"

    clear = page.locator('#chat button[aria-label="Clear"]').bounding_box()
    on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('button')?.getAttribute('aria-label')",
                           [clear["x"] + clear["width"] / 2, clear["y"] + clear["height"] / 2])
    assert on_top == "Clear", f"{on_top} covers 🗑"
    for button in page.locator("#chat button[aria-label]").all():
        if button.is_visible():
            size = button.bounding_box()
            assert size["width"] >= 24 and size["height"] >= 24, (button.get_attribute("aria-label"), size)
    page.close()
    assert not errors, errors
