"""A refusal that helps: the sections nearest the question, named so the reader can ask about them instead."""
from __future__ import annotations

from .types import Hit

MAX_SUGGESTIONS = 3


def closest_topics(hits: list[Hit], limit: int = MAX_SUGGESTIONS) -> list[str]:
    """The headings of the best-ranked passages' sections (a document's title when it has none), each once."""
    topics: list[str] = []
    for hit in hits:
        p = hit.passage
        name = (p.section.split(" > ")[-1] if p.section else p.source).strip()
        if name and name.lower() not in {t.lower() for t in topics}:
            topics.append(name)
        if len(topics) >= limit:
            break
    return topics
