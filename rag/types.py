"""The values passed between the layers: Document, Passage, Hit, Quote, Citation, Answer (no behaviour, no I/O)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    doc_id: str  # path relative to the corpus folder, with forward slashes
    title: str
    text: str  # the file's text (HTML: reduced to Markdown); spans index into it
    format: str  # "markdown" or "text" (HTML is parsed as the Markdown it was reduced to)
    body_start: int = 0  # where the text starts after front matter
    meta: dict = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Passage:
    id: str  # content hash of document, section and text
    doc_id: str
    source: str  # document title
    section: str  # heading path, " > "-joined
    text: str  # verbatim from the document (a table row is shown under its header line)
    start: int  # character span of the passage in the document text
    end: int
    kind: str  # paragraph | item | row | code
    url: str = ""  # the document's address (front matter `url`, http or https only), "" when it has none

    def embedding_text(self) -> str:
        """What gets embedded: the nearest headings give a bare passage its topic."""
        heads = self.section.split(" > ")[-2:] if self.section else []
        return " > ".join(heads + [self.text]) if heads else self.text


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # dense relevance: a cosine, or the retriever's weighted cosines; 1 = identical


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
