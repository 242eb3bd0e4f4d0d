"""Grow a chosen sentence into a quote that stands on its own: with the sentence it leans on, the one that finishes
or negates it, what its lead-in introduces, and (for a "how" question) the passage's command lines."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .types import Passage
from .quote_kinds import (about_document, completes_previous, is_code, is_label, is_lead_in, is_plug,
                          is_question_or_heading, is_scrap, is_yes_or_no, words)
from .sentences import sentence_spans

WHOLE_ITEM_CHARS = 300  # a list item up to this long is quoted whole: its label ("Listen actively:") is its subject
_ITEM_MARK = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+$", re.MULTILINE)  # what precedes an item's text on its line
_SENTENCE_END = (".", "!", "?", "…", ":", ";", "\"", "”", "'", "’", ")", "]")


@dataclass(frozen=True)
class Unit:
    """A quotable span of a passage: a sentence, a whole short item, a table row's line, or a code block."""
    start: int
    end: int
    text: str
    code: bool
    item: bool = False  # a list item inside the passage ("…include:\n- a\n- b")


def answer_units(text: str, kind: str) -> list[tuple[int, int]]:
    """The spans of `text` an answer may quote: sentences, a short list item whole, or a table row's line."""
    if kind == "row":
        start = text.rfind("\n") + 1
        return [(start, len(text))]
    if kind == "item" and len(text.strip()) <= WHOLE_ITEM_CHARS:
        spans = sentence_spans(text)
        return [(spans[0][0], spans[-1][1])] if spans else []
    return sentence_spans(text)


def units_of(passage: Passage) -> list[Unit]:
    return text_units(passage.text, passage.kind)


def text_units(text: str, kind: str) -> list[Unit]:
    """The quotable units of a passage's text (of the given kind), in order."""
    return [Unit(s, e, text[s:e], kind == "code" or is_code(text[s:e]),
                 _ITEM_MARK.search(text, text.rfind("\n", 0, s) + 1, s) is not None and s > 0)
            for s, e in answer_units(text, kind)]


def headings_of(passage: Passage) -> tuple[str, ...]:
    return tuple(h for h in passage.section.split(" > ") if h) + (passage.source,)


def leads(units: list[Unit], i: int) -> bool:
    """Unit i introduces what follows it: a lead-in sentence, or a line without a sentence end before code."""
    unit = units[i]
    if unit.code:
        return False
    if is_lead_in(unit.text):
        return True
    return (i + 1 < len(units) and units[i + 1].code and not unit.text.rstrip().endswith(_SENTENCE_END))


def asks(unit: Unit) -> bool:
    return not unit.code and unit.text.rstrip().rstrip("\"'”’)]").endswith("?")


def says_nothing(passage: Passage, units: list[Unit], i: int) -> bool:
    """Never quoted for its own sake: about the document, a question or heading, a scrap (a lead-in is kept: what it
    introduces comes with it)."""
    unit = units[i]
    if unit.code:
        return False
    if about_document(unit.text) or asks(unit) or plugged(units, i):
        return True
    if leads(units, i):
        return False
    return (passage.kind != "row" and is_scrap(unit.text)) or \
        is_question_or_heading(unit.text, headings_of(passage), passage.kind)


def plugged(units: list[Unit], i: int) -> bool:
    """Unit i follows a plug for another document in its passage ("… don't miss our guide. Discover …")."""
    return any(is_plug(u.text) for u in units[:i] if not u.code)


def completion_needed(units: list[Unit], i: int) -> bool:
    """Unit i finishes, negates or leans on the one before it, so that one must not be quoted without it."""
    unit = units[i]
    return not unit.code and completes_previous(unit.text) and not about_document(unit.text) and not asks(unit)


def yes_or_no_unit(units: list[Unit]) -> int | None:
    """The passage's own yes or no ("No. …"), when it has one."""
    return next((j for j, u in enumerate(units) if not u.code and is_yes_or_no(u.text)), None)


def leans_back(units: list[Unit], i: int) -> bool:
    """Unit i leans on a sentence before it in its passage ("It …" after a sentence, not after a "Note" label), or
    goes on with the sentence a code block interrupted ("```…``` which is exactly:")."""
    if i <= 0:
        return False
    if units[i - 1].code:
        return not units[i].code and units[i].text[:1].islower()
    return completion_needed(units, i) and not is_label(units[i - 1].text)


def cuts_list(units: list[Unit], lo: int, hi: int) -> bool:
    """Units lo..hi hold a lead-in and the start of the list of items after it, but not the rest of that list."""
    return (hi + 1 < len(units) and units[hi].item and units[hi + 1].item
            and any(leads(units, j) for j in range(lo, hi) if not units[j].item))


@dataclass(frozen=True)
class Group:
    """Units lo..hi of one passage, quoted as one span; `open_lead` when it ends with a lead-in that ends the passage
    (what it introduces is in the passages after it)."""
    lo: int
    hi: int
    open_lead: bool = False


def grow(passage: Passage, units: list[Unit], i: int, how: bool) -> Group | None:
    """The smallest run of units around unit i that reads on its own, or None when none does."""
    lo = hi = i
    if passage.kind == "item":
        lo = 0  # an item is quoted from its start: its label is its subject
    for _ in range(2 * len(units)):
        if lo > 0 and (leans_back(units, lo) or (units[lo].code and leads(units, lo - 1))):
            lo -= 1
        elif hi + 1 < len(units) and (completion_needed(units, hi + 1) or leads(units, hi) or asks(units[hi])
                                      or (is_yes_or_no(units[hi].text) and is_scrap(units[hi].text))
                                      or cuts_list(units, lo, hi)):
            hi += 1
        elif how and not any(u.code for u in units[lo:hi + 1]) and any(u.code for u in units):
            after = [j for j in range(hi + 1, len(units)) if units[j].code]
            before = [j for j in range(lo) if units[j].code]
            if after:
                hi = after[0]
            else:
                lo = before[-1]
        else:
            break
    while hi > i and asks(units[hi]):
        hi -= 1  # a trailing question the passage does not answer is left out
    if any(about_document(u.text) for u in units[lo:hi + 1] if not u.code) or asks(units[hi]) or plugged(units, lo):
        return None
    text = " ".join(u.text for u in units[lo:hi + 1] if not u.code)
    if not any(u.code for u in units[lo:hi + 1]) and len(words(text)) < 3 and passage.kind != "row":
        return None
    if lo == hi and is_question_or_heading(units[lo].text, headings_of(passage), passage.kind) and not leads(units, lo):
        return None
    return Group(lo, hi, open_lead=hi == len(units) - 1 and leads(units, hi))
