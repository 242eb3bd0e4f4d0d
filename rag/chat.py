"""The Gradio chat over an Assistant: answers stream in, then their numbered passages with the quoted sentences marked."""
from __future__ import annotations

import html
import re

from .answer_types import Answer, Citation
from .questions import QuestionError


def passage_html(c: Citation) -> str:
    """The passage, escaped, with the sentences the answer rests on wrapped in <mark>."""
    pieces, at = [], 0
    for q in sorted(c.quotes, key=lambda q: q.start):
        if q.start < at:
            continue
        pieces += [html.escape(c.text[at:q.start], quote=False), "<mark>", html.escape(q.text, quote=False), "</mark>"]
        at = q.end
    pieces.append(html.escape(c.text[at:], quote=False))
    return "".join(pieces).replace("\n", "<br>")


_ROW_QUOTE = re.compile(r"^(\|.*\|) \[(\d+)\]$")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def answer_body(answer: Answer) -> str:
    """The answer text, escaped; a quoted table row is shown as a small table under its column names."""
    by_n = {c.n: c for c in answer.citations}
    lines = []
    for line in answer.text.split("\n"):
        match = _ROW_QUOTE.match(line)
        cited = by_n.get(int(match.group(2))) if match else None
        if cited is None or cited.text.count("\n") < 2:
            lines.append(html.escape(line, quote=False))
            continue
        header, row = _cells(cited.text.splitlines()[0]), _cells(match.group(1))
        head = "".join(f"<th>{html.escape(c, quote=False)}</th>" for c in header)
        body = "".join(f"<td>{html.escape(c, quote=False)}</td>" for c in row)
        lines.append(f"\n<table><tr>{head}<th></th></tr><tr>{body}<td>[{cited.n}]</td></tr></table>\n")
    return "\n".join(lines)


def answer_markdown(answer: Answer) -> str:
    """The answer, then one collapsible block per cited passage, numbered like its [n] marker."""
    parts = [answer_body(answer)]
    if answer.notice:
        parts.append(f"\n_{html.escape(answer.notice, quote=False)}_")
    if answer.citations:
        parts.append("\n\n**Sources**")
    for c in answer.citations:
        where = html.escape(c.source + (f" › {c.section}" if c.section else ""), quote=False)
        parts.append(f"\n<details><summary>[{c.n}] {where}</summary>\n\n{passage_html(c)}\n\n</details>")
    return "\n".join(parts)


def build_chat(assistant):
    import gradio as gr

    def respond(message: str, history):
        try:
            written = ""
            for item in assistant.stream(message):
                if isinstance(item, Answer):
                    yield answer_markdown(item)
                else:
                    written += item
                    yield html.escape(written, quote=False)
        except QuestionError as exc:
            yield f"⚠️ {exc}"

    sources = ", ".join(assistant.sources()) or "the indexed articles"
    return gr.ChatInterface(
        fn=respond,
        title="Ask the articles",
        description=f"Answers come only from: {sources}. Every sentence cites its passage.",
        examples=assistant.example_questions() or None,
        cache_examples=False,
        api_name="chat",
    )
