"""The plan of an extractive answer — quotes (runs of units of a passage), joining lines, pointers to more sources —
and how it is written out: one number per passage, each quote followed by its [n]."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .quote_groups import Group, Unit, units_of
from .quote_kinds import same_advice
from .types import Answer, Citation, Hit, Passage, Quote


@dataclass
class Entry:
    kind: str  # "quote" | "line" (the answer's own words) | "rest" (markers of more sources)
    hit: int = -1
    lo: int = 0
    hi: int = 0
    bullet: bool = False
    text: str = ""  # a line's words
    rest: list[int] = field(default_factory=list)  # a rest entry's hits
    parts: list[str] = field(default_factory=list)  # a part line's parts of the question


class Plan:
    def __init__(self, hits: list[Hit]) -> None:
        self.hits = list(hits)
        self.entries: list[Entry] = []
        self._units: dict[str, list[Unit]] = {}

    def units(self, hit: int) -> list[Unit]:
        passage = self.hits[hit].passage
        if passage.id not in self._units:
            self._units[passage.id] = units_of(passage)
        return self._units[passage.id]

    def hit_index(self, passage: Passage, score: float) -> int:
        """The index of `passage` among the hits (by id, or by identical text), appended when missing."""
        for i, h in enumerate(self.hits):
            if h.passage.id == passage.id or h.passage.text == passage.text:
                return i
        self.hits.append(Hit(passage, score))
        return len(self.hits) - 1

    def quote_text(self, entry: Entry) -> str:
        units = self.units(entry.hit)
        return self.hits[entry.hit].passage.text[units[entry.lo].start:units[entry.hi].end]

    def quotes_of(self, hit: int) -> list[Entry]:
        return [e for e in self.entries if e.kind == "quote" and e.hit == hit]

    def covers(self, hit: int, unit: int) -> bool:
        return any(e.lo <= unit <= e.hi for e in self.quotes_of(hit))

    def make(self, hit: int, group: Group, bullet: bool = False) -> Entry | None:
        """A quote entry for `group`, or None when it repeats what the plan already says."""
        entry = Entry("quote", hit, group.lo, group.hi, bullet)
        text = self.quote_text(entry)
        for other in self.entries:
            if other.kind != "quote":
                continue
            if other.hit == hit and other.lo <= entry.lo and entry.hi <= other.hi:
                return None
            if other.hit != hit or not (other.hi < entry.lo or entry.hi < other.lo):
                if same_advice(text, self.quote_text(other)):
                    return None
        return entry

    def add(self, hit: int, group: Group, bullet: bool = False, at: int | None = None) -> Entry | None:
        """Place a quote (at the end, or at position `at`), joining a quote of the same passage it overlaps or
        touches; None when it adds nothing."""
        for other in self.quotes_of(hit):
            if other.bullet == bullet and other.lo - 1 <= group.hi and group.lo <= other.hi + 1:
                other.lo, other.hi = min(other.lo, group.lo), max(other.hi, group.hi)
                return other
        entry = self.make(hit, group, bullet)
        if entry is not None:
            self.entries.insert(len(self.entries) if at is None else at, entry)
        return entry

    def move_first(self, hit: int, group: Group) -> None:
        """Open the answer with `group`, taking in the quotes of the same passage it overlaps or touches."""
        entry = Entry("quote", hit, group.lo, group.hi)
        for other in self.quotes_of(hit):
            if not other.bullet and other.lo - 1 <= entry.hi and entry.lo <= other.hi + 1:
                entry.lo, entry.hi = min(entry.lo, other.lo), max(entry.hi, other.hi)
                self.entries.remove(other)
        self.entries.insert(0, entry)

    def drop_repeats(self) -> None:
        """Of two quotes that say the same (quotes grow and join after they are placed), keep the longer."""
        quotes = [e for e in self.entries if e.kind == "quote"]
        for i, a in enumerate(quotes):
            for b in quotes[:i]:
                if a in self.entries and b in self.entries and same_advice(self.quote_text(a), self.quote_text(b)):
                    shorter = min((a, b), key=lambda e: len(self.quote_text(e)))
                    if not shorter.bullet:
                        self.entries.remove(shorter)

    def render(self, question: str) -> Answer:
        numbers: dict[int, int] = {}
        for e in self.entries:
            for hit in ([e.hit] if e.kind == "quote" else e.rest):
                numbers.setdefault(hit, len(numbers) + 1)
        pieces: list[tuple[str, bool]] = []
        for e in self.entries:
            if e.kind == "line":
                pieces.append((e.text, True))
            elif e.kind == "rest":
                pieces.append((e.text.format(markers=" ".join(f"[{n}]" for n in sorted(numbers[h] for h in e.rest))),
                               True))
            else:
                quote = self.quote_text(e)
                if self.hits[e.hit].passage.kind not in ("code", "row") and "```" not in quote:
                    quote = _SOFT_BREAK.sub(" ", quote)
                own_line = e.bullet or "\n" in quote or self.hits[e.hit].passage.kind == "row"
                pieces.append((("- " if e.bullet else "") + f"{quote} [{numbers[e.hit]}]", own_line))
        text = ""
        for i, (piece, own_line) in enumerate(pieces):
            if i:
                text += "\n" if own_line or pieces[i - 1][1] else " "
            text += piece
        citations = []
        for hit, n in sorted(numbers.items(), key=lambda kv: kv[1]):
            p = self.hits[hit].passage
            units = self.units(hit)
            spans = sorted((units[e.lo].start, units[e.hi].end) for e in self.quotes_of(hit))
            if not spans:  # only pointed at (the rest of a list): the whole passage is what it offers
                body = p.text.strip()
                spans = [(p.text.index(body), p.text.index(body) + len(body))]
            quotes = tuple(Quote(s, e, p.text[s:e]) for s, e in _merged(spans))
            citations.append(Citation(n=n, text=p.text, source=p.source, section=p.section, score=self.hits[hit].score,
                                      doc_id=p.doc_id, passage_id=p.id, quotes=quotes, kind=p.kind, url=p.url))
        return Answer(question=question, text=text, refused=False, citations=citations)


# A line break inside a sentence of hard-wrapped text (plain text, text rendered from HTML): read as a space. A
# blank line, or a next line that starts a list item, table row, heading, quote or code, keeps its break.
_SOFT_BREAK = re.compile(r"(?<=\S)[ \t]*\n[ \t\u00a0]*(?=[^\s\-*+•|#>`$0-9])")


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
