"""Read a follow-up question in the light of the previous one ("and how long does that take?")."""
from __future__ import annotations

import re

from .terms import STOPWORDS, content_terms

# A question that leans on the one before: opens with a connector or a pointing word, or is too
# short to stand alone. Hand-written: without an LLM there is no library that condenses a turn.
_LEANING_START = re.compile(
    r"^\W*(and|but|also|so|then|what about|how about|what if|and if|or|same|why is that|why's that|is that|"
    r"does that|do they|does it|is it|are they|can it|can they|it|that|this|these|those|they|them|their|its)\b",
    re.IGNORECASE)
_POINTING = re.compile(r"\b(it|its|that|this|these|those|they|them|their|there|one|ones)\b", re.IGNORECASE)
SHORT_QUESTION_TERMS = 3  # a question with fewer content words than this rarely stands alone
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def leans_on_previous(question: str) -> bool:
    terms = content_terms(question)
    return bool(_LEANING_START.match(question)) or (len(terms) < SHORT_QUESTION_TERMS and bool(_POINTING.search(question))) \
        or len(terms) < 2


def key_words(question: str) -> list[str]:
    """The content words of a question as written, in order, without repeats."""
    seen, out = set(), []
    for word in _WORD.findall(question):
        low = word.lower()
        if low not in STOPWORDS and low not in seen and len(low) > 2:
            seen.add(low)
            out.append(word)
    return out


def condense(question: str, previous: list[str]) -> str:
    """The question to search for: `question` itself, or, when it leans on the conversation, the
    question followed by the key words of the last previous question that stood on its own."""
    if not previous or not leans_on_previous(question):
        return question
    anchor = next((p for p in reversed(previous) if not leans_on_previous(p)), previous[-1])
    own = {w.lower() for w in key_words(question)}
    carried = [w for w in key_words(anchor) if w.lower() not in own]
    return f"{question} ({' '.join(carried)})" if carried else question
