"""The few fixed phrases an extractive answer adds around its quotes, each on a line of its own, and how to tell them.

Everything else in an extractive answer is quoted verbatim and ends with its [n] marker; these
lines carry no quote of their own (a "rest" line only points at further sources), so a reader
and every check can see they are the answer's words, not the article's.
"""
from __future__ import annotations

import re

REFUSAL = "The articles don't say."


def list_count(total: int, noun: str, shown: int, heading: str = "") -> str:
    """ "The article lists 10 ways; the 3 closest to your question:" (all shown: "The article lists 4 ways:")."""
    where = f"Under “{inline(heading)}”, the article" if heading else "The article"
    if shown >= total:
        return f"{where} lists {total} {noun}:"
    closest = "one" if shown == 1 else str(shown)
    return f"{where} lists {total} {noun}; the {closest} closest to your question:"


def under_section(heading: str) -> str:
    """The subject of list items that have no label or lead-in of their own: their section's heading."""
    return f"Under “{inline(heading)}”:"


def rest_in_sources(rest: int, cited: int) -> str:
    """ "The other 7 are in Sources: {markers}" — the items not shown, one click away; `{markers}` is filled in with
    the [n] of the `cited` ones when the answer is written."""
    if cited < rest:
        return f"The other {rest} are in the article; {cited} of them in Sources: {{markers}}"
    if rest == 1:
        return "The other one is in Sources: {markers}"
    return f"The other {rest} are in Sources: {{markers}}"


def part_label(parts: list[str]) -> str:
    """ "On “why is that bad for closeness”:" — the part of the question the quotes below it answer."""
    names = [f"“{inline(p)}”" for p in parts]
    return f"On {' and '.join(names)}:"


def part_not_covered(part: str) -> str:
    return f"The articles don't cover this part: “{inline(part)}”"


def refusal(suggestions: list[str]) -> str:
    """ "The articles don't say. Closest topics: “A”, “B” and “C”." — suggestions to ask about, never an answer."""
    if not suggestions:
        return REFUSAL
    names = [f"“{inline(s)}”" for s in suggestions]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{REFUSAL} Closest topics: {listed}."


def inline(text: str) -> str:
    """A name as it appears between “ and ” in a line: one line, no curly quotes of its own."""
    return " ".join(text.replace("“", "\"").replace("”", "\"").split())


_NAME = r"“[^”\n]+”"
_MARKERS = r"(?: \[\d+\])+"
JOINING_LINE = re.compile(
    r"^(?:"
    rf"(?:Under {_NAME}, the article|The article) lists \d+ [\w' -]+?(?:; the (?:one|\d+) closest to your question)?:"
    rf"|Under {_NAME}:"
    rf"|On {_NAME}(?: and {_NAME})*:"
    rf"|The other (?:one is|\d+ are) in Sources:{_MARKERS}"
    rf"|The other \d+ are in the article; \d+ of them in Sources:{_MARKERS}"
    rf"|The articles don't cover this part: {_NAME}"
    r")$", re.MULTILINE)


def joining_lines(text: str) -> list[str]:
    """The answer's own lines (the fixed phrases above), in order."""
    return [m.group(0) for m in JOINING_LINE.finditer(text)]


def without_joining(text: str) -> str:
    """The answer with its own lines removed: what is left is quotes and their markers."""
    return JOINING_LINE.sub("", text)
