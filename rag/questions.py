"""Validate a question before any retrieval: reject empty, over-long and control-character input."""
from __future__ import annotations

import re
import unicodedata


class QuestionError(ValueError):
    """The question cannot be answered as given; the message says why in one line."""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_question(question, max_chars: int = 4000) -> str:
    """The question with normalised whitespace, or QuestionError."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise QuestionError("the question is not valid Unicode text (it has unpaired surrogates)") from None
    if _CONTROL.search(question):
        raise QuestionError("the question contains control characters; please send plain text")
    text = " ".join(unicodedata.normalize("NFC", question).split())
    if not text:
        raise QuestionError("the question is empty; please type a question")
    if len(text) > max_chars:
        raise QuestionError(f"the question is {len(text):,} characters long; the limit is {max_chars:,}")
    return text


MAX_CONTEXT_ITEMS = 20  # earlier questions a caller may send with a question


def clean_context(context, max_chars: int = 4000) -> list[str]:
    """The conversation's earlier questions (non-empty), or QuestionError when `context` is not a short list of text."""
    if context is None:
        return []
    if not isinstance(context, (list, tuple)):
        raise QuestionError(f"'context' must be a list of earlier questions, not {type(context).__name__}")
    if len(context) > MAX_CONTEXT_ITEMS:
        raise QuestionError(f"'context' holds {len(context):,} questions; the limit is {MAX_CONTEXT_ITEMS}")
    for item in context:
        if not isinstance(item, str):
            raise QuestionError(f"'context' must hold questions as text, not {type(item).__name__}")
        if len(item) > max_chars:
            raise QuestionError(f"a question in 'context' is {len(item):,} characters long; the limit is {max_chars:,}")
    return [item for item in context if item.strip()]
