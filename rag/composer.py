"""Build an extractive answer from retrieved passages: their most relevant sentences, each with its [n] marker."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .answer_types import Answer, Citation, Quote
from .passages import Passage
from .sentences import sentence_spans
from .settings import Settings
from .store import Hit
from .terms import content_terms

REFUSAL = "The articles don't cover this question, so I won't guess an answer."
CITATION_MARGIN = 0.1  # a passage this far below the best one is not worth citing beside it
OVERLAP_WEIGHT = 0.3  # weight of question-word overlap beside the cosines when ranking sentences
SENTENCE_MARGIN = 0.15  # past the first two, a sentence this far below the best one is left out
MIN_SENTENCES = 2
MIN_QUOTE_WORDS = 3  # shorter sentences are quoted only from the best passage
SENTENCES_PER_PART = 2
DUPLICATE_OVERLAP = 0.6  # sentences sharing this share of their content words say the same thing
# Questions asking for several things ("how can I…", "what are the signs…") are answered as a list
# when their sentences come from list items.
_LIST_QUESTION = re.compile(
    r"^\W*(how (can|could|do|should|might|to)|what (are|can|could|should)|which|ways|tips|signs|steps|list|name)\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    """A quotable span of a retrieved passage, with the vectors that stand for it."""
    hit: int  # index into the hits
    start: int
    end: int
    text: str
    vectors: tuple[np.ndarray, ...]


def refusal(question: str) -> Answer:
    return Answer(question=question, text=REFUSAL, refused=True, citations=[])


WHOLE_ITEM_CHARS = 300  # a list item up to this long is quoted whole: its label ("Listen actively:") is its subject


def answer_units(text: str, kind: str) -> list[tuple[int, int]]:
    """The spans of `text` an answer may quote: sentences, a short list item whole, or a table row's line."""
    if kind == "row":
        start = text.rfind("\n") + 1
        return [(start, len(text))]
    if kind == "item" and len(text.strip()) <= WHOLE_ITEM_CHARS:
        spans = sentence_spans(text)
        return [(spans[0][0], spans[-1][1])] if spans else []
    return sentence_spans(text)


def quotable_sentences(hits: list[Hit], indexes, sentence_vectors: dict) -> list[Sentence]:
    """The sentences of hits[i] for i in `indexes`, each with its stored vector(s) when retrieval kept them."""
    out = []
    for i in indexes:
        passage = hits[i].passage
        spans = answer_units(passage.text, passage.kind)
        stored = sentence_vectors.get(passage.id, {})
        whole = len(spans) == 1 and len(stored) > 1  # a row or whole item: all its sentence vectors stand for it
        for j, (s, e) in enumerate(spans):
            if i > 0 and len(passage.text[s:e].split()) < MIN_QUOTE_WORDS:
                continue  # "Yes." answers its own passage's question, not the reader's
            if whole:
                vectors = tuple(stored.values())
            else:
                vectors = (stored[j],) if j in stored and len(stored) == len(spans) else ()
            out.append(Sentence(i, s, e, passage.text[s:e], vectors))
    return out


class _Scorer:
    """Relevance of a sentence to one question (or part): its passage's score, its own cosine, shared words."""

    def __init__(self, hits: list[Hit], text: str, vector: np.ndarray | None) -> None:
        self.hits, self.vector, self.terms = hits, vector, set(content_terms(text))

    def __call__(self, s: Sentence) -> float:
        passage_score = self.hits[s.hit].score
        cosine = max((float(v @ self.vector) for v in s.vectors), default=passage_score) \
            if self.vector is not None else passage_score
        overlap = len(self.terms & set(content_terms(s.text))) / max(1, len(self.terms))
        return 0.5 * passage_score + 0.5 * cosine + OVERLAP_WEIGHT * overlap


def _is_duplicate(s: Sentence, chosen: list[Sentence]) -> bool:
    terms = set(content_terms(s.text))
    for c in chosen:
        if c.text == s.text:
            return True
        other = set(content_terms(c.text))
        if terms and other and len(terms & other) / min(len(terms), len(other)) >= DUPLICATE_OVERLAP:
            return True
    return False


def _pick_single(hits, sentences, scorer, limit) -> list[Sentence]:
    ranked = sorted(sentences, key=scorer, reverse=True)
    chosen: list[Sentence] = []
    best = scorer(ranked[0]) if ranked else 0.0
    for s in ranked:
        if len(chosen) >= limit:
            break
        if scorer(s) < best - SENTENCE_MARGIN * (1 if len(chosen) >= MIN_SENTENCES else 2):
            break
        if not _is_duplicate(s, chosen):
            chosen.append(s)
    return sorted(chosen, key=lambda s: (s.hit, s.start))  # passages in rank order, each read in text order


def _pick_by_part(sentences, scorers, limit) -> list[Sentence]:
    chosen: list[Sentence] = []
    for scorer in scorers:
        ranked = sorted(sentences, key=scorer, reverse=True)
        best = scorer(ranked[0]) if ranked else 0.0
        part: list[Sentence] = []
        for s in ranked:
            if len(part) >= SENTENCES_PER_PART or len(chosen) + len(part) >= limit:
                break
            if part and scorer(s) < best - SENTENCE_MARGIN:
                break
            if not _is_duplicate(s, chosen + part):
                part.append(s)
        chosen += sorted(part, key=lambda s: (s.hit, s.start))  # each part reads in text order
    return chosen


def compose(question: str, hits: list[Hit], settings: Settings, vector: np.ndarray | None = None,
            sentence_vectors: dict | None = None, parts: list[tuple[str, np.ndarray]] = (),
            list_after: Callable[[Passage], list[Passage]] | None = None) -> Answer:
    """The answer from `hits`, which the answerability decision has judged to answer the question.

    `vector` is the question's embedding and `sentence_vectors` the hits' sentence vectors (from
    retrieval); `parts` are the (text, vector) of each part of a multi-part question, answered in turn;
    `list_after(passage)` gives the list items that follow a passage in its document.
    """
    if not hits:
        return refusal(question)
    sentence_vectors = sentence_vectors or {}
    if len(parts) > 1:
        pool = quotable_sentences(hits, range(len(hits)), sentence_vectors)
        scorers = [_Scorer(hits, text, (v + vector) / 2 if vector is not None else v) for text, v in parts]
        chosen = _pick_by_part(pool, scorers, settings.max_sentences)
    else:
        floor = hits[0].score - CITATION_MARGIN
        near = [i for i, h in enumerate(hits[: settings.max_citations]) if h.score >= floor or i == 0]
        pool = quotable_sentences(hits, near, sentence_vectors)
        chosen = _pick_single(hits, pool, _Scorer(hits, question, vector), settings.max_sentences)
        if list_after is not None and chosen:
            expanded = _expand_lead_in(hits, chosen, list_after, settings.max_sentences)
            if expanded is not None:
                hits, chosen, bullets = expanded
                return _render(question, hits, chosen, bullets)
        chosen = [s for s in chosen if not _is_lead_in(s, hits)] or chosen  # a lead-in without its list says nothing
    as_list = (len(chosen) >= 2 and _LIST_QUESTION.match(question) is not None
               and sum(hits[s.hit].passage.kind == "item" for s in chosen) >= 2)
    return _render(question, hits, chosen, bullets=set(range(len(chosen))) if as_list else set())


def _is_lead_in(s: Sentence, hits: list[Hit]) -> bool:
    """The sentence ends its passage with a colon: it introduces what follows ("Consider these strategies:")."""
    return s.text.rstrip().endswith(":") and s.end == len(hits[s.hit].passage.text.rstrip())


def _expand_lead_in(hits: list[Hit], chosen: list[Sentence], list_after, limit: int):
    """When a chosen sentence introduces a list that the best passage opens or belongs to, answer with the list.

    A lead-in alone says nothing; its list items are the answer. Returns (hits with the items
    appended, the lead-in passage's chosen sentences followed by items, the indexes to show as
    bullets), or None. Items that retrieval found come first; the list's own order fills the rest.
    """
    for lead in (s for s in chosen if _is_lead_in(s, hits)):
        items = list_after(hits[lead.hit].passage)
        ids = [item.id for item in items]
        if lead.hit == 0 or hits[0].passage.id in ids:
            break
    else:
        return None
    head = [s for s in chosen if s.hit == lead.hit]
    room = max(2, limit - len(head))
    found = [i for i, item in enumerate(items) if any(h.passage.id == item.id for h in hits)][:room]
    rest = [i for i in range(len(items)) if i not in found][: room - len(found)]
    items = [items[i] for i in sorted(found + rest)]
    if len(items) < 2:
        return None
    hits = list(hits)
    chosen = list(head)
    for item in items:
        index = next((i for i, h in enumerate(hits) if h.passage.id == item.id), None)
        if index is None:
            hits.append(Hit(item, hits[lead.hit].score))
            index = len(hits) - 1
        s, e = answer_units(item.text, item.kind)[0]
        chosen.append(Sentence(index, s, e, item.text[s:e], ()))
    return hits, chosen, set(range(len(head), len(chosen)))


def _render(question: str, hits: list[Hit], chosen: list[Sentence], bullets: set[int]) -> Answer:
    numbers: dict[int, int] = {}
    for s in chosen:
        numbers.setdefault(s.hit, len(numbers) + 1)
    text = ""
    on_own_line = {i for i, s in enumerate(chosen) if hits[s.hit].passage.kind == "row"} | bullets
    for i, s in enumerate(chosen):
        line = ("- " if i in bullets else "") + f"{s.text} [{numbers[s.hit]}]"
        if i:
            text += "\n" if i in on_own_line or i - 1 in on_own_line else " "
        text += line
    citations = []
    for i, n in sorted(numbers.items(), key=lambda kv: kv[1]):
        p = hits[i].passage
        quotes = tuple(Quote(s.start, s.end, s.text) for s in sorted(chosen, key=lambda s: s.start) if s.hit == i)
        citations.append(Citation(n=n, text=p.text, source=p.source, section=p.section, score=hits[i].score,
                                  doc_id=p.doc_id, passage_id=p.id, quotes=quotes, url=p.url))
    return Answer(question=question, text=text, refused=False, citations=citations)


def stream_text(text: str) -> Iterator[str]:
    """An answer's text in pieces that end at its sentence and line ends; joined they give `text` back."""
    start = 0
    for i, ch in enumerate(text):
        if ch == "\n" or (ch == "]" and (i + 1 == len(text) or text[i + 1] in " \n")):
            yield text[start: i + 1]
            start = i + 1
    if start < len(text):
        yield text[start:]
