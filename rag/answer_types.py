"""The Answer, Citation and Quote values every face (Python, CLI, web) returns."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Quote:
    """A span of a cited passage that the answer rests on: `passage[start:end] == text`."""
    start: int
    end: int
    text: str

    def to_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Citation:
    n: int  # the marker number used in the answer text: [n]
    text: str  # the passage, verbatim from the corpus
    source: str  # document title
    section: str  # heading path
    score: float
    doc_id: str = ""
    passage_id: str = ""
    quotes: tuple[Quote, ...] = ()  # the spans of `text` the answer quotes (extractive) or rests on (generative)
    kind: str = ""  # the passage's kind: paragraph | item | row | code ("" when unknown)
    url: str = ""  # the article's address (front matter `url`), when the corpus gives one

    def to_dict(self) -> dict:
        out = {"n": self.n, "text": self.text, "source": self.source, "section": self.section,
               "score": round(self.score, 4), "quotes": [q.to_dict() for q in self.quotes]}
        if self.url:
            out["url"] = self.url
        return out


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    mode: str = "extractive"  # "extractive" (sentences copied from the passages) or "generative" (written by an LLM)
    notice: str = ""  # a note for the reader, e.g. that the language model was unreachable
    suggestions: list[str] = field(default_factory=list)  # a refusal's nearest sections, to ask about instead

    def to_dict(self) -> dict:
        out = {"question": self.question, "answer": self.text, "refused": self.refused,
               "citations": [c.to_dict() for c in self.citations], "mode": self.mode, "notice": self.notice}
        if self.suggestions:  # only refusals have them; other answers keep the documented keys
            out["suggestions"] = list(self.suggestions)
        return out
