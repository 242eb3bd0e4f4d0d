"""What form of answer a question asks for: a yes or no, a way to do something, a list."""
from __future__ import annotations

import re

_AUXILIARY = (r"(?:is|are|am|was|were|do|does|did|can|could|should|would|will|shall|may|might|must|has|have|had|"
              r"isn['’]t|aren['’]t|wasn['’]t|don['’]t|doesn['’]t|didn['’]t|can['’]t|couldn['’]t|shouldn['’]t|"
              r"wouldn['’]t|won['’]t|hasn['’]t|haven['’]t)")
# The clause that asks ("… so is that normal?", "i want zsh, should i just chsh to it") opens with an auxiliary.
_YES_NO = re.compile(rf"(?:^|[.,;:!?—–]\s*|\b(?:so|and|but|then|ok|okay|well)\s+){_AUXILIARY}\b[^.,;:!?—–]*\??\s*$",
                     re.IGNORECASE)
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)
_HOW = re.compile(r"^\W*how\b|\bhow (?:do|does|can|could|should|would|to|shall|might|may|is|are)\b|"
                  r"\b(?:command|commands|syntax|invocation)\b|\bwhat (?:do|should) (?:i|you|we) (?:type|run|enter)\b",
                  re.IGNORECASE)
_LIST = re.compile(
    r"^\W*(what are|which|ways|tips|signs|steps|list|name)\b",
    re.IGNORECASE)
_PLURAL_AFTER_WHAT = re.compile(
    r"\bwhat (?:are|were)(?: some(?: of)?| the| all)?(?: (?:main|key|common|usual|typical|most|best|different|"
    r"other|warning|early|first))* (?!(?:its|this|his|hers|yours|ours|theirs|is|was|has|does)\b)([a-z]+s)\b",
    re.IGNORECASE)


_PLURAL_AFTER_WHICH = re.compile(  # "which mirrors does it use?" (not "which matters more?")
    r"^\W*which ([a-z]+s) (?:do|does|did|are|were|can|could|should|will|would|have|has|is)\b", re.IGNORECASE)


def asks_yes_or_no(question: str) -> bool:
    """The question's asking clause opens with an auxiliary verb and has no wh-word: "can it exist without sex?"."""
    question = re.sub(r"“[^”]*”|\"[^\"]*\"|`[^`]*`", "x", question)  # a quoted name ("C’s “?:” operator") is one word
    asking = [s for s in re.split(r"(?<=\?)\s+", question.strip()) if s.strip()]
    last = asking[-1] if asking else question
    clause = re.split(r"[.;:!—–]\s+", last)[-1]
    return _YES_NO.search(clause) is not None and not _WH.search(clause.split(",")[-1])


def asks_how(question: str) -> bool:
    """The question asks how to do something (or for a command): the steps or commands are the answer."""
    return _HOW.search(question) is not None


def asks_for_list(question: str) -> bool:
    """The question asks for several things: "what are the benefits…", "which tools…", "signs of…" ("how can I…"
    may want one way or several: its list is shown whole only when its lead-in answers the question)."""
    return _LIST.match(question) is not None or _PLURAL_AFTER_WHAT.search(question) is not None


def list_noun(question: str) -> str:
    """What the reader asked a list of, for "The article lists 6 …": "benefits", "ways", else "points"."""
    plural = _PLURAL_AFTER_WHAT.search(question) or _PLURAL_AFTER_WHICH.search(question)
    if plural and not plural.group(1).lower().endswith("ss"):
        return plural.group(1).lower()
    if re.match(r"^\W*how\b", question, re.IGNORECASE):
        return "ways"
    return "points"
