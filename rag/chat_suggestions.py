"""What the chat offers next: headings of the articles near an answer's sources, or nearest to a refused question.

Suggestions are the articles' own headings (an FAQ's questions, section titles), never text the chat writes, and
only headings the articles answer when asked: a suggestion never leads to a refusal.
"""
from __future__ import annotations

import threading
import time

from .types import Answer
from .questions import QuestionError
from .store import StoreError

OUTLINE_SECONDS = 300  # how long the index's outline is reused before it is read again
CHECKED = 8  # candidates at most whose answerability is tried per suggestion list


def leaf(section: str) -> str:
    return section.split(" > ")[-1].strip() if section else ""


class Suggestions:
    """Related questions after an answer and nearest topics after a refusal, from `assistant`'s index."""

    def __init__(self, assistant, limit: int = 3) -> None:
        self.assistant, self.limit = assistant, limit
        self._outline: dict[str, list[str]] = {}
        self._read_at = -OUTLINE_SECONDS
        self._answered: dict[str, bool] = {}
        self._lock = threading.Lock()

    def outline(self) -> dict[str, list[str]]:
        """doc_id → its sections' heading paths, in document order."""
        with self._lock:
            if time.monotonic() - self._read_at >= OUTLINE_SECONDS:
                by_doc: dict[str, list[str]] = {}
                for doc_id, section in self.assistant.outline():
                    by_doc.setdefault(doc_id, []).append(section)
                self._outline, self._read_at, self._answered = by_doc, time.monotonic(), {}
            return self._outline

    def related(self, answer: Answer, asked: list[str]) -> list[str]:
        """Headings beside the sections an answer cites, nearest first: the FAQ's next questions, the next topics."""
        outline = self.outline()
        anchors = list(dict.fromkeys((c.doc_id, c.section) for c in answer.citations))
        ranked: list[tuple[int, int, str]] = []
        for rank, (doc_id, section) in enumerate(anchors):
            sections = outline.get(doc_id, [])
            if section not in sections:
                continue
            at = sections.index(section)
            for i, other in enumerate(sections):
                if i != at:
                    ranked.append((abs(i - at), rank, other))
        near = [s for _, _, s in sorted(ranked, key=lambda r: (r[0], r[1], not leaf(r[2]).endswith("?")))]
        cited = {section for _, section in anchors}
        return self._answerable([leaf(s) for s in near if s not in cited], asked + [answer.question])

    def nearest(self, question: str, context: list[str], asked: list[str]) -> list[str]:
        """The headings of the passages retrieval ranks first for a question the articles don't answer."""
        try:
            passages = self.assistant.passages_near(question, context)
        except (QuestionError, StoreError):
            return []
        return self._answerable([leaf(p.section) for p in passages], asked + [question])

    def _answerable(self, headings: list[str], asked: list[str]) -> list[str]:
        seen = {q.strip().casefold() for q in asked}
        out: list[str] = []
        tried = 0
        for heading in dict.fromkeys(h for h in headings if h):
            if len(out) >= self.limit or tried >= CHECKED:
                break
            if heading.casefold() in seen:
                continue
            if heading not in self._answered:
                tried += 1
                self._answered[heading] = self._answers(heading)
            if self._answered[heading]:
                out.append(heading)
        return out

    def _answers(self, heading: str) -> bool:
        try:
            return self.assistant.answers(heading)
        except (QuestionError, StoreError):
            return False
