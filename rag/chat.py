"""The Gradio chat over an Assistant: each answer followed by its numbered, cited passages."""
from __future__ import annotations

import html

from .answer_types import Answer
from .questions import QuestionError


def answer_markdown(answer: Answer) -> str:
    """The answer, then one collapsible block per cited passage, numbered like its [n] marker."""
    parts = [html.escape(answer.text, quote=False)]
    if answer.citations:
        parts.append("\n\n**Sources**")
    for c in answer.citations:
        where = html.escape(c.source + (f" › {c.section}" if c.section else ""), quote=False)
        body = html.escape(c.text, quote=False).replace("\n", "<br>")
        parts.append(f"\n<details><summary>[{c.n}] {where}</summary>\n\n{body}\n\n</details>")
    return "\n".join(parts)


def build_chat(assistant):
    import gradio as gr

    def respond(message: str, history) -> str:
        try:
            return answer_markdown(assistant.ask(message))
        except QuestionError as exc:
            return f"⚠️ {exc}"

    sources = ", ".join(assistant.sources()) or "the indexed articles"
    return gr.ChatInterface(
        fn=respond,
        title="Ask the articles",
        description=f"Answers come only from: {sources}. Every sentence cites its passage.",
        examples=assistant.example_questions() or None,
        cache_examples=False,
        api_name="chat",
    )
