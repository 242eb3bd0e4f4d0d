"""The Gradio chat over an Assistant: streamed answers, their passages with the quoted sentences marked, 👍/👎."""
import html
import re

import gradio as gr  # this module is the web face; nothing on the CLI path imports it

from .answer_types import Answer, Citation
from .guards import RateLimit
from .questions import QuestionError
from .store import StoreError
from .units import row_cells

MAX_TURNS = 20  # question-and-answer turns a chat keeps; older ones leave the page and the server's memory
_MARKER = re.compile(r"\[(\d+)\]")
_ROW_QUOTE = re.compile(r"^(\|.*\|) \[(\d+)\]$")
_MARKDOWN = re.compile(r"([\\`*_\[\]{}#|~!])")
CSS = """
#intro p { margin: 0.2em 0; color: var(--body-text-color-subdued); }
#chat mark { background: #fff1a8; color: inherit; padding: 0 1px; border-radius: 2px; }
#chat sup { font-weight: 600; color: var(--color-accent); }
#chat details.sources { margin-top: 0.6em; border-top: 1px solid var(--border-color-primary); padding-top: 0.4em; }
#chat details.sources summary { cursor: pointer; font-size: 0.9em; color: var(--body-text-color-subdued); }
#chat details.sources[open] { font-size: 0.92em; }
footer { display: none !important; }
"""


def escape(text: str) -> str:
    """Article or reader text made inert: no HTML, no Markdown (links, images, emphasis) of its own."""
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


def _with_markers(text: str) -> str:
    """Escaped text whose [n] markers are shown as superscript citation numbers."""
    pieces = _MARKER.split(text)
    return "".join(escape(p) if i % 2 == 0 else f"<sup>[{p}]</sup>" for i, p in enumerate(pieces))


def _is_table(text: str) -> bool:
    lines = text.splitlines()
    return len(lines) >= 3 and lines[0].lstrip().startswith("|") and set(lines[1].replace("|", "").strip()) <= set("-: ")


def _row_readout(passage: str, row_line: str) -> str:
    """A table row read out under its column names: **Definition** — Emotional Intimacy: …; Sexual Intimacy: …

    Narrow screens cannot show a four-column table; the words of every cell stay verbatim.
    """
    header, row = row_cells(passage.splitlines()[0]), row_cells(row_line)
    if len(header) != len(row):
        return escape(row_line)
    pairs = "; ".join(f"{escape(name)}: {escape(cell)}" for name, cell in zip(header[1:], row[1:]))
    return f"**{escape(row[0])}** — {pairs}"


def answer_body(answer: Answer) -> str:
    """The answer for the chat: escaped, [n] as superscripts, a quoted table row read out under its column names."""
    by_n = {c.n: c for c in answer.citations}
    lines = []
    for line in answer.text.split("\n"):
        match = _ROW_QUOTE.match(line)
        cited = by_n.get(int(match.group(2))) if match else None
        if cited is not None and _is_table(cited.text):
            lines.append(f"{_row_readout(cited.text, match.group(1))} <sup>[{cited.n}]</sup>")
        else:
            lines.append(_with_markers(line))
    body = "\n".join(lines)
    if answer.notice:
        body += f"\n\n_{escape(answer.notice)}_"
    return body


def passage_html(c: Citation) -> str:
    """The passage, escaped, with the sentences the answer rests on wrapped in <mark>."""
    if _is_table(c.text):
        readout = _row_readout(c.text, c.text.splitlines()[-1])
        return f"<mark>{readout}</mark>" if c.quotes else readout
    pieces, at = [], 0
    for q in sorted(c.quotes, key=lambda q: q.start):
        if q.start < at:
            continue
        pieces += [escape(c.text[at:q.start]), "<mark>", escape(q.text), "</mark>"]
        at = q.end
    pieces.append(escape(c.text[at:]))
    return "".join(pieces).replace("\n", "<br>")


def sources_markdown(answer: Answer) -> str:
    """Each cited passage under its number and section path, grouped under its article's title."""
    blocks, title = [], None
    for c in answer.citations:
        if c.source != title:
            title = c.source
            blocks.append(f"_From “{escape(title)}”_")
        where = escape(c.section.replace(" > ", " › ")) if c.section else escape(c.source)
        blocks.append(f"**[{c.n}]** {where}\n\n{passage_html(c)}")
    return "\n\n".join(blocks)


def answer_markdown(answer: Answer) -> str:
    """The answer, then its sources in one collapsible block."""
    if not answer.citations:
        return answer_body(answer)
    n = len(answer.citations)
    return (f"{answer_body(answer)}\n\n<details class=\"sources\"><summary>Sources · {n} passage{'s' if n > 1 else ''}"
            f"</summary>\n\n{sources_markdown(answer)}\n\n</details>")


def shown(text, limit: int) -> str:
    """At most `limit` characters of what a reader sent, for echoing it back (never megabytes, never bad Unicode)."""
    text = text if isinstance(text, str) else ""
    text = text if len(text) <= limit else text[:limit] + "…"
    return text.encode("utf-8", "replace").decode("utf-8")


def client_address(request: gr.Request | None) -> str:
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"


def _new_state() -> dict:
    return {"history": [], "questions": [], "answers": {}}


def _kept(state: dict, turns: int) -> dict:
    """The state with only its last `turns` turns; answers keep their (shifted) message numbers for 👍/👎."""
    cut = max(0, len(state["history"]) - 2 * turns)
    if not cut:
        return state
    answers = {i - cut: entry for i, entry in state["answers"].items() if i >= cut}
    return {**state, "history": state["history"][cut:], "answers": answers}


def build_chat(assistant, feedback=None, limit: RateLimit | None = None):
    """The chat page as gr.Blocks (queue it, then launch or mount it).

    `feedback` is a FeedbackLog or None; `limit` the per-address question budget (shared with the JSON API).
    The conversation lives in the session's server-side state, never taken from the browser.
    """
    limit = limit or RateLimit(assistant.settings.api_rate_limit)
    max_chars = assistant.settings.max_question_chars
    titles = assistant.sources()
    examples = assistant.example_questions()
    names = ", ".join(f"“{escape(t)}”" for t in titles) or "the indexed articles"
    placeholder = ("**Ask anything the articles cover.**\n\nAnswers quote the articles only; each sentence ends with "
                   "<sup>[n]</sup>, the passage it comes from. When the articles don't cover a question, "
                   "the answer says so.")

    def ask(message: str, state: dict, request: gr.Request):
        state = _kept({**_new_state(), **(state or {})}, MAX_TURNS - 1)  # room for this turn
        history = list(state["history"])
        history.append({"role": "user", "content": escape(shown(message, max_chars))})  # as typed, never markup
        history.append({"role": "assistant", "content": ""})
        wait = limit.retry_after(client_address(request))
        if wait:
            history[-1] = {"role": "assistant", "content": f"⚠️ {escape(limit.message(wait)).capitalize()}."}
            yield "", history, {**state, "history": history}
            return
        context = list(state["questions"])
        written, answer = "", None
        try:
            for item in assistant.stream(message, context):  # a bad question raises before any piece
                if isinstance(item, Answer):
                    answer = item
                else:
                    written += item
                    history[-1] = {"role": "assistant", "content": _with_markers(written)}
                    yield "", history, {**state, "history": history}
        except QuestionError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠️ {escape(str(exc))}"}
        except StoreError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠️ The articles' index is not available right now "
                                                           f"({escape(str(exc))}). Please try again in a moment."}
        if answer is None:
            yield "", history, {**state, "history": history}
            return
        history[-1] = {"role": "assistant", "content": answer_markdown(answer)}
        answers = {**state["answers"], len(history) - 1: {"answer": answer.to_dict(), "context": context}}
        yield "", history, {"history": history, "answers": answers, "questions": (context + [answer.question])[-3:]}

    def on_like(state: dict, data: gr.LikeData):
        entry = (state or {}).get("answers", {}).get(data.index if isinstance(data.index, int) else data.index[0])
        if feedback is not None and entry is not None and isinstance(data.liked, bool):
            feedback.record(data.liked, entry["answer"], entry["context"])

    def example_text(data: gr.SelectData) -> str:
        return data.value["text"]

    def api_chat(question: str, context: list[str] | None = None, request: gr.Request = None) -> dict:
        """Answer one question (with earlier questions as context); returns the Answer JSON or {"error"}."""
        wait = limit.retry_after(client_address(request))
        if wait:
            return {"question": shown(question, max_chars), "error": limit.message(wait), "retry_after": wait}
        try:
            return assistant.ask(question, [] if context is None else context).to_dict()
        except (QuestionError, StoreError) as exc:
            return {"question": shown(question, max_chars), "error": str(exc)}

    with gr.Blocks(title="Ask the articles", fill_height=True) as demo:
        gr.Markdown(f"## Ask the articles\nAnswers come only from {names}.", elem_id="intro")
        chatbot = gr.Chatbot(elem_id="chat", show_label=False, placeholder=placeholder, scale=1, height="70vh",
                             examples=[{"text": q} for q in examples] or None, buttons=["copy", "copy_all"],
                             feedback_options=("Like", "Dislike"), layout="panel", autoscroll=True)
        state = gr.State(_new_state())
        with gr.Row(equal_height=True):
            box = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False, scale=6,
                             autofocus=True, elem_id="question", lines=1, max_lines=4)
            send = gr.Button("Ask", variant="primary", scale=0, min_width=72, elem_id="ask")
        outputs = [box, chatbot, state]
        box.submit(ask, [box, state], outputs, api_visibility="private")
        send.click(ask, [box, state], outputs, api_visibility="private")
        chatbot.example_select(example_text, None, box, api_visibility="private").then(
            ask, [box, state], outputs, api_visibility="private")
        chatbot.like(on_like, [state], None, api_visibility="private")
        chatbot.clear(_new_state, None, state, api_visibility="private")  # its 🗑 button
        gr.api(api_chat, api_name="chat")
    return demo
