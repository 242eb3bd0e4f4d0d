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
