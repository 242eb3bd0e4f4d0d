"""The Answer and Citation values every face (Python, CLI, web) returns."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Citation:
    n: int  # the marker number used in the answer text: [n]
    text: str  # the passage, verbatim from the corpus
    source: str  # document title
    section: str  # heading path
    score: float
    doc_id: str = ""
    passage_id: str = ""

    def to_dict(self) -> dict:
        return {"n": self.n, "text": self.text, "source": self.source, "section": self.section,
                "score": round(self.score, 4)}


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"question": self.question, "answer": self.text, "refused": self.refused,
                "citations": [c.to_dict() for c in self.citations]}
