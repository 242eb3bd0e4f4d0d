"""An Answer as one message for chat clients and AI assistants: the answer, then its numbered sources."""
from __future__ import annotations

from .types import Answer


def sources_text(answer: Answer) -> str:
    """The notice, if any, then "Sources:" and each cited passage under its [n], title and section.

    Markdown-friendly plain text: each passage is a block quote, so a chat client renders it as one and a
    reader of the raw text still sees where it starts and ends. Empty for a refusal.
    """
    lines = [f"Note: {answer.notice}", ""] if answer.notice else []
    if answer.citations:
        lines.append("Sources:")
    for c in answer.citations:
        lines.append("")
        lines.append(f"[{c.n}] " + " › ".join(part for part in (c.source, c.section) if part))
        lines.extend("> " + line if line.strip() else ">" for line in c.text.splitlines())
    return "\n".join(lines).rstrip()


def message_text(answer: Answer) -> str:
    """The answer with its [n] markers, a blank line, then its sources (nothing more for a refusal)."""
    tail = sources_text(answer)
    return f"{answer.text}\n\n{tail}" if tail else answer.text
