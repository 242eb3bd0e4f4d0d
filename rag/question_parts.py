"""Split a question into the parts an answer should address one by one ("why X, and how Y?")."""
from __future__ import annotations

import re

from .sentences import split_sentences
from .terms import content_terms

# ", and how …" / " or should …": a conjunction that opens a new question, not one joining two nouns.
_NEW_QUESTION = re.compile(
    r",?\s+(?:and|or|but|also)\s+(?=(?:how|what|why|when|where|which|who|whom|whose|should|is|are|was|were|do|does|"
    r"did|can|could|would|will|has|have)\b)", re.IGNORECASE)
MAX_PARTS = 3
LONG_QUESTION_CHARS = 400  # a long question is a story; its parts are found by retrieval's focus instead


def question_parts(question: str) -> list[str]:
    """The separate questions inside `question`; a single-part question gives one part, itself."""
    if len(question) > LONG_QUESTION_CHARS:
        return [question]
    sentences = split_sentences(question)
    asking = [s for s in sentences if s.rstrip().endswith("?")] or [question]
    parts = [p.strip(" ,;") for s in asking for p in _NEW_QUESTION.split(s)]
    parts = [p for p in parts if len(content_terms(p)) >= 1]
    if len(parts) < 2:
        return [question]
    return parts[:MAX_PARTS]
