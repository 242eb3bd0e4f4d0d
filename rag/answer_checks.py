"""Defects of an answer as a reader meets them: sentences about the document, questions or headings quoted back,
scraps, dangling lead-ins, items without their subject, a finishing or negating sentence or the commands left out,
repeats, a list cut silently, the article's yes or no buried, a part of the question left unanswered."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .types import Answer, Citation
from .joining import JOINING_LINE, inline
from .question_forms import asks_how, asks_yes_or_no
from .question_parts import question_parts
from .quote_groups import (Unit, asks, completion_needed, cuts_list, leads, leans_back, plugged, text_units,
                           yes_or_no_unit)
from .quote_kinds import (about_document, is_question_or_heading, is_yes_or_no, names_its_subject, same_advice,
                          same_question, words)

KINDS = ("about-document", "question-or-heading", "scrap", "dangling-lead-in", "subjectless-item",
         "missing-completion", "missing-command", "repeat", "passage-cited-twice", "list-uncounted",
         "yes-or-no-not-first", "yes-or-no-out-of-context", "part-unanswered")
_MARKERS = re.compile(r"(?<=\s)((?:\[\d+\])+)")
_BULLET = re.compile(r"^[-*•]\s+")
_NAMED = re.compile(r"“([^”]+)”")


@dataclass(frozen=True)
class Defect:
    kind: str  # one of KINDS
    text: str  # the quote or line at fault

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text}


@dataclass
class Piece:
    """One quote of the answer (or, in a generative answer, one sentence), or one of the answer's own lines."""
    text: str
    line: bool = False
    bullet: bool = False
    citation: Citation | None = None
    lo: int = -1  # the units of the cited passage the quote spans (-1: not found there)
    hi: int = -1


def pieces(answer: Answer) -> list[Piece]:
    """The answer read in order: its own lines and its quotes, each quote with the citation its marker names.

    An extractive answer is read quote by quote (a quote is known text followed by its marker, so "[1]" inside
    quoted code is not taken for one); anything else, or text that is no known quote, is split at its markers.
    """
    read = _by_quotes(answer) if answer.mode == "extractive" else None
    if read is None:
        read = _by_markers(answer)
    for piece in read:
        if piece.citation is not None and answer.mode == "extractive":
            _locate(piece)
    return read


def _by_quotes(answer: Answer) -> list[Piece] | None:
    expected = sorted(((f"{q.text} [{c.n}]", c) for c in answer.citations for q in c.quotes),
                      key=lambda e: -len(e[0]))
    text, at, out = answer.text, 0, []
    while True:
        while at < len(text) and text[at] in " \n":
            at += 1
        if at >= len(text):
            return out
        line = JOINING_LINE.match(text, at)
        if line:
            out.append(Piece(line.group(0), line=True))
            at = line.end()
            continue
        bullet = text.startswith("- ", at)
        start = at + 2 if bullet else at
        for quoted, c in expected:
            end = start + len(quoted)
            if text.startswith(quoted, start) and (end == len(text) or text[end] in " \n"):
                out.append(Piece(quoted[: -len(f" [{c.n}]")], bullet=bullet, citation=c))
                at = end
                break
        else:
            return None


def _by_markers(answer: Answer) -> list[Piece]:
    by_n = {c.n: c for c in answer.citations}
    events: list[tuple[int, Piece]] = [(m.start(), Piece(m.group(0), line=True))
                                       for m in JOINING_LINE.finditer(answer.text)]
    masked = JOINING_LINE.sub(lambda m: " " * len(m.group(0)), answer.text)
    at = 0
    for m in _MARKERS.finditer(masked):
        numbers = [int(n) for n in re.findall(r"\d+", m.group(1))]
        if not any(n in by_n for n in numbers):
            continue  # "[10]" inside a quote: not a marker
        raw = masked[at:m.start()].strip()
        at = m.end()
        bullet = bool(_BULLET.match(raw))
        text = _BULLET.sub("", raw).strip()
        if answer.mode != "extractive":  # "Claim [1]. Next [2]?": the stop after a marker closes the claim before it
            text = text.lstrip(".!?…: ") + masked[m.end():m.end() + 1].strip(" \n[")
        if text:
            events.append((m.start(), Piece(text, bullet=bullet, citation=by_n.get(numbers[0]))))
    tail = masked[at:].strip().lstrip(".!?… ")
    if tail:
        events.append((at, Piece(tail)))  # words after the last marker: quoted from nowhere
    return [p for _, p in sorted(events, key=lambda e: e[0])]


def _locate(piece: Piece) -> None:
    c = piece.citation
    start = c.text.find(piece.text)
    if start < 0:
        return
    end = start + len(piece.text)
    units = _units(c)
    inside = [j for j, u in enumerate(units) if u.start >= start and u.end <= end]
    if inside:
        piece.lo, piece.hi = inside[0], inside[-1]


def _units(c: Citation) -> list[Unit]:
    return text_units(c.text, c.kind or "paragraph")


def answer_defects(answer: Answer) -> list[Defect]:
    """Every defect of `answer` (none for a refusal), in reading order."""
    if answer.refused:
        return []
    read = pieces(answer)
    if answer.mode != "extractive":
        return _written_defects(answer, read)
    quotes = [p for p in read if not p.line]
    found: list[Defect] = []
    for i, piece in enumerate(read):
        if piece.line or piece.citation is None or piece.lo < 0:
            continue
        found += _quote_defects(piece, read, i)
    found += _command_defects(answer, quotes)
    found += _repeats(quotes) + _cited_twice(answer)
    found += _list_defects(read) + _yes_no_defects(answer, quotes) + _part_defects(answer, read)
    return found


def _quote_defects(piece: Piece, read: list[Piece], i: int) -> list[Defect]:
    c = piece.citation
    units = _units(c)
    span = units[piece.lo:piece.hi + 1]
    prose = [u for u in span if not u.code]
    out = []
    if any(about_document(u.text) for u in prose) or plugged(units, piece.lo):
        out.append(Defect("about-document", piece.text))
    headings = tuple(h for h in c.section.split(" > ") if h) + (c.source,)
    if asks(units[piece.hi]) or (piece.lo == piece.hi and not leads(units, piece.lo)
                                  and is_question_or_heading(units[piece.lo].text, headings, c.kind)):
        out.append(Defect("question-or-heading", piece.text))
    if not any(u.code for u in span) and c.kind != "row" and len(words(" ".join(u.text for u in prose))) < 3:
        out.append(Defect("scrap", piece.text))
    if (leads(units, piece.hi) and not _introduced(piece, read, i, units)) or cuts_list(units, piece.lo, piece.hi):
        out.append(Defect("dangling-lead-in", piece.text))
    quoted = _quoted_units(c, read)
    if piece.hi + 1 < len(units) and completion_needed(units, piece.hi + 1) and piece.hi + 1 not in quoted:
        out.append(Defect("missing-completion", piece.text))
    if leans_back(units, piece.lo) and piece.lo - 1 not in quoted:
        out.append(Defect("missing-completion", piece.text))
    if c.kind == "item" and not (piece.lo == 0 and names_its_subject(c.text)) \
            and not _subject_before(read, i):
        out.append(Defect("subjectless-item", piece.text))
    return out


def _quoted_units(c: Citation, read: list[Piece]) -> set[int]:
    return {j for p in read if p.citation is c and p.lo >= 0 for j in range(p.lo, p.hi + 1)}


def _introduced(piece: Piece, read: list[Piece], i: int, units: list[Unit]) -> bool:
    """What the lead-in introduces follows it: the next unit of its passage, or (when the lead-in ends its passage)
    the next quote, from a list item or code."""
    if piece.hi + 1 < len(units):
        return False  # the passage goes on with what it introduces, but the quote stops
    after = next((p for p in read[i + 1:] if not p.line), None)
    if after is None or after.citation is None or after.citation is piece.citation:
        return False
    return after.citation.kind in {"item", "code", "row"} or (after.lo == 0 and _units(after.citation)[0].code)


def _subject_before(read: list[Piece], i: int) -> bool:
    """An item's subject precedes it: past the other items of its list, a lead-in quote or an "Under …" line."""
    for p in reversed(read[:i]):
        if p.line:
            if p.text.startswith("Under “"):
                return True
            continue
        if p.bullet and p.citation is not None and p.citation.kind == "item":
            continue
        return p.citation is not None and p.lo >= 0 and leads(_units(p.citation), p.hi)
    return False


def _command_defects(answer: Answer, quotes: list[Piece]) -> list[Defect]:
    """A "how" question: every cited passage with command or code lines has them quoted."""
    if not asks_how(answer.question):
        return []
    out = []
    for c in answer.citations:
        units = _units(c)
        mine = [p for p in quotes if p.citation is c and p.lo >= 0]
        if mine and any(u.code for u in units) and not any(units[j].code for p in mine for j in range(p.lo, p.hi + 1)):
            out.append(Defect("missing-command", mine[0].text))
    return out


def _repeats(quotes: list[Piece]) -> list[Defect]:
    out = []
    for i, a in enumerate(quotes):
        for b in quotes[:i]:
            if same_advice(a.text, b.text):
                out.append(Defect("repeat", a.text))
                break
    return out


def _cited_twice(answer: Answer) -> list[Defect]:
    out, seen = [], set()
    for c in answer.citations:
        key = c.passage_id or c.text
        if key in seen or c.text in seen:
            out.append(Defect("passage-cited-twice", f"[{c.n}] {c.text[:80]}"))
        seen |= {key, c.text}
    return out


def _list_defects(read: list[Piece]) -> list[Defect]:
    """Two or more items of one list shown: the answer says how many the article has."""
    groups: dict[tuple[str, str], int] = {}
    for p in read:
        if p.bullet and p.citation is not None and p.citation.kind == "item":
            key = (p.citation.source, p.citation.section)
            groups[key] = groups.get(key, 0) + 1
    counted = any(p.line and " lists " in p.text for p in read)
    return [Defect("list-uncounted", f"{n} items of “{section}”") for (_, section), n in groups.items()
            if n >= 2 and not counted]


def _yes_no_defects(answer: Answer, quotes: list[Piece]) -> list[Defect]:
    """A passage's "Yes."/"No." is quoted only where it answers the very question asked, and then first."""
    out = []
    asks_it = len(question_parts(answer.question)) == 1 and asks_yes_or_no(answer.question)
    for piece in quotes:
        if piece.citation is None or piece.lo < 0:
            continue
        units = _units(piece.citation)
        heading = piece.citation.section.split(" > ")[-1]
        if any(is_yes_or_no(u.text) for u in units[piece.lo:piece.hi + 1] if not u.code) \
                and not (asks_it and same_question(answer.question, heading)):
            out.append(Defect("yes-or-no-out-of-context", piece.text))
    if not asks_it or not quotes:
        return out
    owed = [c for c in answer.citations if yes_or_no_unit(_units(c)) is not None
            and same_question(answer.question, c.section.split(" > ")[-1]) and any(p.citation is c for p in quotes)]
    first = quotes[0]
    opens = first.lo >= 0 and any(is_yes_or_no(u.text) for u in _units(first.citation)[first.lo:first.hi + 1])
    return out + ([Defect("yes-or-no-not-first", first.text)] if owed and not opens else [])


def _part_defects(answer: Answer, read: list[Piece]) -> list[Defect]:
    """Each part of a multi-part question has a line naming it with quotes under it, or a line saying the articles
    don't cover it."""
    parts = question_parts(answer.question)
    if len(parts) < 2:
        return []
    addressed: set[str] = set()
    for i, p in enumerate(read):
        if not p.line:
            continue
        if p.text.startswith("On “"):
            after = next((x for x in read[i + 1:] if not x.line or x.text.startswith("On “")), None)
            if after is not None and not after.line:
                addressed |= set(_NAMED.findall(p.text))
        elif p.text.startswith("The articles don't cover this part"):
            addressed |= set(_NAMED.findall(p.text))
    return [Defect("part-unanswered", part) for part in parts if inline(part) not in addressed]


def _written_defects(answer: Answer, read: list[Piece]) -> list[Defect]:
    """An answer written by a language model: its sentences are checked as the composer's quotes are."""
    out = []
    sentences = [p for p in read if not p.line]
    for i, p in enumerate(sentences):
        if about_document(p.text):
            out.append(Defect("about-document", p.text))
        if p.text.rstrip(" .").endswith("?"):
            out.append(Defect("question-or-heading", p.text))
        if len(words(p.text)) < 3:
            out.append(Defect("scrap", p.text))
        if p.text.rstrip(" .").endswith(":") and not (i + 1 < len(sentences) and sentences[i + 1].bullet):
            out.append(Defect("dangling-lead-in", p.text))
    return out + _repeats(sentences) + _cited_twice(answer)
