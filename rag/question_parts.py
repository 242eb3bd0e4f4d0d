"""Split a question into the parts an answer should address one by one ("why X, and how Y?")."""
from __future__ import annotations

import re

from .sentences import split_sentences
from .terms import content_terms

_WH = r"(?:how|what|why|when|where|which|who|whom|whose)"
_SUBJECT = (r"(?:i|you|we|they|he|she|it|there|this|that|these|those|my|your|our|their|his|her|its|the|a|an|one|"
            r"someone|anyone|everyone|people)")
# ", and how …" / " or should I …": a conjunction that opens a new question, not one joining two nouns or verbs
# ("… but is fine on the others" goes on with the same subject).
_NEW_QUESTION = re.compile(
    rf",?\s+(?:and|or|but|also)\s+(?=(?:{_WH}|(?:is|are|was|were)\s+{_SUBJECT}|"
    rf"(?:should|do|does|did|can|could|would|will|has|have)\s+\w+)\b)", re.IGNORECASE)
_ASKS = re.compile(rf"^\W*(?:{_WH}|is|are|was|were|should|do|does|did|can|could|would|will|has|have|may|might|"
                   rf"must|shall)\b", re.IGNORECASE)
MAX_PARTS = 3
LONG_QUESTION_CHARS = 400  # a long question is a story; its parts are found by retrieval's focus instead


def question_parts(question: str) -> list[str]:
    """The separate questions inside `question`; a single-part question gives one part, itself."""
    if len(question) > LONG_QUESTION_CHARS:
        return [question]
    sentences = split_sentences(question)
    asking = [s for s in sentences if s.rstrip().endswith("?")] or [question]
    pieces = [p.strip(" ,;") for s in asking for p in _NEW_QUESTION.split(s)]
    parts: list[str] = []
    for piece in pieces:
        if parts and not _ASKS.match(parts[-1]) and len(parts[-1].split()) < 3:
            parts[-1] = f"{parts[-1]}, {piece}"  # "ok, where does …": a word before the question is not a part
        elif content_terms(piece):
            parts.append(piece)
    if len(parts) < 2:
        return [question]
    return parts[:MAX_PARTS]


def speaks_of(terms: set[str], texts) -> bool:
    """Whether any of `texts` has one of `terms` or a word of its family (the same first five letters:
    "connected" and "connection")."""
    found = {t for text in texts for t in content_terms(text)}
    return any(a == b or (len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5]) for a in terms for b in found)
