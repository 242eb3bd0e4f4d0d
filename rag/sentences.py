"""Sentence boundaries as character spans, fast enough for the query path."""
from __future__ import annotations

import re

# Hand-written instead of nltk/llama-index's splitter: the answer path must not import
# nltk (seconds of start-up), and we need character spans into the passage, not strings.
_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr",
    "inc", "ltd", "co", "fig", "no", "approx", "cf", "al", "u.s", "u.k",
}
_FENCE = re.compile(r"[ \t]*(```|~~~)")
_ITEM = re.compile(r"[ \t]*([-*+•]|\d{1,3}[.)])[ \t]+")
_BOUNDARY = re.compile(r"[.!?…][\"'”’)\]]*(\s+)(?=[\"'“‘(\[]?[A-Z0-9¿¡])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, stripped of surrounding whitespace.

    A passage made of several blocks (a label and its paragraph, a lead-in and its list or code) is
    split at its blocks first: a blank line, a list item's start (its marker left out) and a fenced
    code block (kept whole) end a sentence.
    """
    if "\n" not in text.strip():
        return _prose_spans(text, 0, len(text))
    spans: list[tuple[int, int]] = []
    for start, end in _segments(text):
        spans.extend(_prose_spans(text, start, end) if not _FENCE.match(text, start) else [(start, end)])
    return spans


def _segments(text: str):
    """The blocks of a passage: runs of lines between blank lines, list items and fenced code."""
    start = None
    fence = False
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        if fence:
            if _FENCE.match(line):
                fence = False
                yield start, end
                start = None
        elif _FENCE.match(line):
            if start is not None:
                yield start, pos
            start, fence = pos, True
        elif not line.strip():
            if start is not None:
                yield start, pos
            start = None
        else:
            item = _ITEM.match(line)
            if item:
                if start is not None:
                    yield start, pos
                start = pos + item.end()
            elif start is None:
                start = pos
        pos = end + 1
    if start is not None:
        yield start, len(text)


def _prose_spans(text: str, begin: int, stop: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = begin
    for match in _BOUNDARY.finditer(text, begin, stop):
        before = text[start:match.start(1)].rstrip("\"'”’)]")
        last_word = before.rsplit(None, 1)[-1] if before.split() else ""
        if last_word.rstrip(".").lower() in _ABBREVIATIONS or re.fullmatch(r"[A-Z]\.", last_word):
            continue
        _append(spans, text, start, match.start(1))
        start = match.end(1)
    _append(spans, text, start, stop)
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def _append(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))
