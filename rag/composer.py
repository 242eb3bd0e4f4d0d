"""Build an extractive answer from retrieved passages: their most relevant sentences, each with its [n] marker."""
from __future__ import annotations

from .answer_types import Answer, Citation
from .sentences import sentence_spans
from .settings import Settings
from .store import Hit
from .terms import content_terms

REFUSAL = "The articles don't cover this question, so I won't guess an answer."
# A passage this far below the best one is not worth citing beside it.
CITATION_MARGIN = 0.1
# Weight of question-word overlap against cosine when ranking sentences.
OVERLAP_WEIGHT = 0.3


def refusal(question: str) -> Answer:
    return Answer(question=question, text=REFUSAL, refused=True, citations=[])


def answer_units(text: str, kind: str) -> list[tuple[int, int]]:
    """The spans of `text` an answer may quote: sentences, or the row line of a table passage."""
    if kind == "row":
        start = text.rfind("\n") + 1
        return [(start, len(text))]
    return sentence_spans(text)


def compose(question: str, hits: list[Hit], settings: Settings) -> Answer:
    """The answer from `hits`, which the answerability decision has judged to answer the question."""
    if not hits:
        return refusal(question)
    best = max(h.score for h in hits)
    floor = best - CITATION_MARGIN
    candidates = [h for h in hits if h.score >= floor][: settings.max_citations]
    wanted = set(content_terms(question))

    def relevance(sentence: str, hit: Hit) -> float:
        overlap = len(wanted & set(content_terms(sentence))) / max(1, len(wanted))
        return hit.score + OVERLAP_WEIGHT * overlap

    chosen: list[tuple[int, int, int]] = []  # (candidate index, start, end)
    top = candidates[0]
    spans = answer_units(top.passage.text, top.passage.kind)
    best = sorted(spans, key=lambda s: -relevance(top.passage.text[s[0]:s[1]], top))[:3]
    chosen.extend((0, s, e) for s, e in sorted(best))
    seen = {top.passage.text[s:e] for s, e in best}
    for index, hit in enumerate(candidates[1:], start=1):
        if len(chosen) >= settings.max_sentences:
            break
        spans = answer_units(hit.passage.text, hit.passage.kind)
        s, e = max(spans, key=lambda sp: relevance(hit.passage.text[sp[0]:sp[1]], hit))
        sentence = hit.passage.text[s:e]
        if sentence not in seen:
            seen.add(sentence)
            chosen.append((index, s, e))

    numbers: dict[int, int] = {}
    parts = []
    for index, s, e in chosen:
        n = numbers.setdefault(index, len(numbers) + 1)
        parts.append(f"{candidates[index].passage.text[s:e]} [{n}]")
    citations = [
        Citation(n=n, text=candidates[i].passage.text, source=candidates[i].passage.source,
                 section=candidates[i].passage.section, score=candidates[i].score,
                 doc_id=candidates[i].passage.doc_id, passage_id=candidates[i].passage.id)
        for i, n in sorted(numbers.items(), key=lambda kv: kv[1])
    ]
    return Answer(question=question, text=" ".join(parts), refused=False, citations=citations)
