"""The Gradio chat over an Assistant: streamed answers with linked sources, stop, retry, edit, 👍/👎, suggestions.

The page's behaviour that Gradio has no setting for (plain-text copy, citation links, the character counter, resending
a question the server never got) is in static/chat.js; its look in static/chat.css. Both are inlined: no CDN.
"""
from __future__ import annotations

import html
import queue
import threading
from dataclasses import replace
from pathlib import Path

import gradio as gr  # this module is the web face; nothing on the CLI path imports it

from .types import Answer
from .chat_history import MAX_TURNS, Turn, derived, from_browser, load_key, messages, to_browser, turn_of_message
from .chat_render import unescape
from .chat_suggestions import Suggestions
from .composer import REFUSAL
from .guards import RateLimit
from .questions import QuestionError
from .store import StoreError

STATIC = Path(__file__).parent / "static"
CONTEXT_QUESTIONS = 3  # earlier questions a follow-up is read with (the Assistant uses as many)
COMMENT_CHARS = 1000  # a 👎 comment is cut here
POLL_SECONDS = 0.25  # longest step of an answer's generator, so that Stop takes effect at once


def page_assets() -> dict:
    """css= and head= for gr.mount_gradio_app(): the chat's styles and script, inline (the page loads nothing else)."""
    script = (STATIC / "chat.js").read_text(encoding="utf-8")
    return {"css": (STATIC / "chat.css").read_text(encoding="utf-8"), "head": f"<script>\n{script}\n</script>"}


def shown(text, limit: int) -> str:
    """At most `limit` characters of what a reader sent, for echoing it back (never megabytes, never bad Unicode)."""
    text = text if isinstance(text, str) else ""
    text = text if len(text) <= limit else text[:limit] + "…"
    return text.encode("utf-8", "replace").decode("utf-8")


def client_address(request: gr.Request | None) -> str:
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or client_address(request)


def _turns(value) -> list[Turn]:
    return [t for t in value if isinstance(t, Turn)] if isinstance(value, list) else []


def in_background(make_iterator, poll: float = POLL_SECONDS):
    """The items of `make_iterator()`, produced in a thread of their own, and None whenever `poll` seconds pass
    without one.

    Gradio cancels a running answer (Stop) only once the current step of its generator returns, and the page holds
    back other events until then; a language model may take seconds between sentences. With a step at most `poll`
    long, Stop takes effect at once; the producer stops at its next item.
    """
    items: queue.Queue = queue.Queue()
    stopped = threading.Event()

    def produce() -> None:
        iterator = None
        try:
            iterator = make_iterator()
            for item in iterator:
                if stopped.is_set():
                    break
                items.put((True, item))
            items.put((False, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            items.put((False, exc))
        finally:
            getattr(iterator, "close", lambda: None)()

    threading.Thread(target=produce, name="rag-chat-answer", daemon=True).start()
    try:
        while True:
            try:
                is_item, value = items.get(timeout=poll)
            except queue.Empty:
                yield None
                continue
            if is_item:
                yield value
            elif value is None:
                return
            else:
                raise value
    finally:
        stopped.set()


def header_html(titles: list[str]) -> str:
    names = ", ".join(f"“{html.escape(t)}”" for t in titles) or "the indexed articles"
    return (f"<header class=\"page-head\"><h1>Ask the articles</h1>"
            f"<p class=\"intro\">Answers come only from {names}.</p></header>")


PLACEHOLDER = ("**Ask anything the articles cover.**\n\nAnswers quote the articles only; each sentence ends with "
               "[n], a link to the passage it comes from. When the articles don't cover a question, the answer says "
               "so and points to the nearest topics.")


def build_chat(assistant, feedback=None, limit: RateLimit | None = None):
    """The chat page as gr.Blocks (queue it, then launch or mount it with page_assets()).

    `feedback` is a FeedbackLog or None; `limit` the per-address question budget (shared with the JSON API).
    The conversation lives in the session's server-side state; the browser keeps a copy signed by this server
    (see chat_history), which brings it back after a reload or a restart.
    """
    limit = limit or RateLimit(assistant.settings.api_rate_limit)
    max_chars = assistant.settings.max_question_chars
    key = load_key(assistant.settings.data_dir)
    suggest = Suggestions(assistant)
    busy: dict[str, object] = {}  # session → the answer being written for it: one at a time, whatever is sent

    def swap(answering: bool) -> tuple:
        return gr.update(visible=not answering), gr.update(visible=answering)

    SKIP = (gr.skip(),) * 5  # chatbot, state, saved, ask, stop

    def answer(question, turns: list[Turn], request: gr.Request):
        """Yields (chatbot, state, saved, ask, stop) as the reply to `question` is written after `turns`."""
        question = question if isinstance(question, str) else ""
        session = _session(request)
        if not question.strip() or len(question) > max_chars or session in busy:
            yield SKIP  # the page keeps the question in its box (see chat.js); nothing joins the conversation
            return
        busy[session] = token = object()
        try:
            turns = turns[-(MAX_TURNS - 1):]
            context = [t.question for t in turns if t.answer is not None][-CONTEXT_QUESTIONS:]
            turn = Turn(shown(question, max_chars), context)
            current = turns + [turn]
            wait = limit.retry_after(client_address(request))
            if wait:
                message = limit.message(wait)
                turn.error = f"{message[:1].upper()}{message[1:]}."
                yield messages(current), current, to_browser(current, key), *swap(False)
                return
            yield messages(current), current, gr.skip(), *swap(True)
            reply = None
            try:
                for item in in_background(lambda: assistant.stream(question, context)):
                    if item is None:
                        yield SKIP  # nothing new yet (see in_background)
                    elif isinstance(item, Answer):
                        reply = item
                    else:
                        turn.partial += item
                        yield messages(current), current, gr.skip(), gr.skip(), gr.skip()
            except QuestionError as exc:
                turn.error = str(exc)
            except StoreError as exc:
                turn.error = f"The articles' index is not available right now ({exc}). Please try again in a moment."
            if reply is None:
                yield messages(current), current, to_browser(current, key), *swap(False)
                return
            asked = [t.question for t in current]
            turn.suggestions = (suggest.nearest(question, context, asked) if reply.refused
                                else suggest.related(reply, asked))
            if reply.refused and turn.suggestions:
                reply = replace(reply, text=REFUSAL)  # the nearest topics are the chips below, not a sentence too
            turn.answer, turn.partial = reply, ""
            yield messages(current), current, to_browser(current, key), *swap(False)
        finally:
            if busy.get(session) is token:  # a stopped answer ends after the next one may have begun
                del busy[session]

    def ask(message, turns, request: gr.Request):
        yield from answer(message, _turns(turns), request)

    def ask_example(turns, data: gr.SelectData, request: gr.Request):
        value = data.value.get("text", "") if isinstance(data.value, dict) else data.value
        yield from answer(value, _turns(turns), request)

    def retry(turns, data: gr.RetryData, request: gr.Request):
        turns, i = _turns(turns), turn_of_message(data.index)
        if i is None or i >= len(turns):
            yield SKIP
            return
        yield from answer(turns[i].question, turns[:i], request)

    def edit(turns, data: gr.EditData, request: gr.Request):
        turns, i = _turns(turns), turn_of_message(data.index)
        if i is None or i >= len(turns) or not isinstance(data.value, str):
            yield messages(turns), gr.skip(), gr.skip(), gr.skip(), gr.skip()  # puts the message back as it was
            return
        yield from answer(unescape(data.value), turns[:i], request)

    def stop(turns, request: gr.Request):
        """The reader stopped the answer: keep what was written, marked as stopped."""
        busy.pop(_session(request), None)
        turns = _turns(turns)
        if turns and not turns[-1].done:
            turns[-1].stopped = True
        return messages(turns), turns, to_browser(turns, key), *swap(False)

    def restore(saved):
        """The conversation the browser kept, re-read from the index (nothing this server did not sign)."""
        try:
            turns = from_browser(saved, key, assistant.passages)
        except StoreError:
            turns = []
        return messages(turns), turns

    def clear():
        return [], to_browser([], key), gr.update(visible=False), "", None

    def on_like(turns, data: gr.LikeData):
        """👍/👎 on a reply (an error reply too): thanks, and on 👎 a box for saying what was wrong."""
        turns, i = _turns(turns), turn_of_message(data.index)
        if i is None or i >= len(turns) or not isinstance(data.liked, bool):
            return gr.update(visible=False), "", None
        turn = turns[i]
        if feedback is not None:
            feedback.record(data.liked, turn.feedback_answer(), turn.context, error=turn.answer is None)
        if data.liked:
            return gr.update(visible=False), "<p>Thanks for your feedback.</p>", None
        return gr.update(visible=True), "<p>Thanks for your feedback.</p>", i

    def send_comment(comment, turns, disliked):
        turns = _turns(turns)
        comment = (comment if isinstance(comment, str) else "").strip()[:COMMENT_CHARS]
        if comment and isinstance(disliked, int) and 0 <= disliked < len(turns) and feedback is not None:
            turn = turns[disliked]
            feedback.record(False, turn.feedback_answer(), turn.context, comment=comment, error=turn.answer is None)
        thanks = "<p>Thanks, your comment was saved.</p>" if comment else ""
        return gr.update(visible=False), "", thanks, None

    def api_chat(question: str, context: list[str] | None = None, request: gr.Request = None) -> dict:
        """Answer one question (with earlier questions as context); returns the Answer JSON or {"error"}."""
        wait = limit.retry_after(client_address(request))
        if wait:
            return {"question": shown(question, max_chars), "error": limit.message(wait), "retry_after": wait}
        try:
            return assistant.ask(question, [] if context is None else context).to_dict()
        except (QuestionError, StoreError) as exc:
            return {"question": shown(question, max_chars), "error": str(exc)}

    examples = assistant.example_questions()
    with gr.Blocks(title="Ask the articles", fill_height=True) as demo:
        gr.HTML(header_html(assistant.sources()), elem_id="intro", padding=False)
        chatbot = gr.Chatbot(elem_id="chat", label="Conversation", show_label=False, placeholder=PLACEHOLDER,
                             scale=1, height="64vh", examples=[{"text": q} for q in examples] or None,
                             buttons=["copy", "copy_all"], feedback_options=("Like", "Dislike"), layout="panel",
                             autoscroll=False, editable="user", latex_delimiters=[])
        state = gr.State([])
        saved = gr.BrowserState(to_browser([], key), storage_key=f"rag-chat-{derived(key, 'storage', 12)}",
                                secret=derived(key, "browser-state", 32))
        disliked = gr.State(None)
        status = gr.HTML("", elem_id="feedback-status", padding=False)
        with gr.Row(visible=False, elem_id="feedback-more", equal_height=True) as more:
            comment = gr.Textbox(label="What was wrong or missing? (optional)", show_label=False, lines=1, max_lines=4,
                                 placeholder="What was wrong or missing? (optional)", elem_id="feedback-comment",
                                 max_length=COMMENT_CHARS, scale=6)
            send_note = gr.Button("Send", elem_id="feedback-send", scale=0, min_width=80)
        with gr.Row(equal_height=True, elem_id="ask-row"):
            box = gr.Textbox(label="Your question", placeholder="Ask a question about the articles…",
                             show_label=False, scale=6, autofocus=True, elem_id="question", lines=1, max_lines=6)
            ask_btn = gr.Button("Ask", variant="primary", scale=0, min_width=80, elem_id="ask")
            stop_btn = gr.Button("Stop", variant="stop", scale=0, min_width=80, elem_id="stop", visible=False)
        gr.HTML(f"<p id=\"q-count\" class=\"q-count\" data-max=\"{max_chars}\"></p>", elem_id="q-count-wrap",
                padding=False)

        outputs = [chatbot, state, saved, ask_btn, stop_btn]
        common = {"api_visibility": "private", "show_progress": "hidden"}
        sending = "(q, s) => window.ragChat ? window.ragChat.beforeSend(q, s) : [q, s]"
        answered = "() => window.ragChat && window.ragChat.answered()"
        events = [
            box.submit(ask, [box, state], outputs, js=sending, trigger_mode="multiple", **common),
            ask_btn.click(ask, [box, state], outputs, js=sending, trigger_mode="multiple", **common),
            chatbot.example_select(ask_example, [state], outputs, **common),
            chatbot.option_select(ask_example, [state], outputs, **common),
            chatbot.retry(retry, [state], outputs, **common),
            chatbot.edit(edit, [state], outputs, **common),
        ]
        for event in events:
            event.success(None, None, None, js=answered, **common)
            event.failure(None, None, None, js="() => window.ragChat && window.ragChat.failed()", **common)
        stop_btn.click(None, None, None, cancels=events, js="() => window.ragChat && window.ragChat.answered()",
                       **common).then(stop, [state], outputs, **common)
        chatbot.like(on_like, [state], [more, status, disliked], **common)
        for trigger in (send_note.click, comment.submit):
            trigger(send_comment, [comment, state, disliked], [more, comment, status, disliked], **common)
        chatbot.clear(clear, None, [state, saved, more, status, disliked],
                      js="() => { window.ragChat && window.ragChat.cleared(); return []; }", **common)
        demo.load(restore, [saved], [chatbot, state], **common).success(
            None, None, None, js="() => window.ragChat && window.ragChat.restored()", **common)
        gr.api(api_chat, api_name="chat")
    return demo
