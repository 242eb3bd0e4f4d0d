"""Score one answered case, then aggregate: hit@k, MRR, recall, refusal, grounding, citation precision, faithfulness."""
from __future__ import annotations

import re
import statistics

from rag.answer_checks import KINDS, answer_defects
from rag.joining import without_joining
from rag.terms import content_terms

from .evalset import EvalCase, group_of, normalise

_MARKER = re.compile(r"\s*\[(\d+)\]")
_CITING = re.compile(r"(?<=\s)\[(\d+)\]")
_BULLET = re.compile(r"^[-*•]\s+")


def faithful_sentences(answer_text: str, citations: dict[int, str]) -> tuple[int, int]:
    """(quotes found verbatim in the passage their marker cites, quotes); unmarked text counts as unfaithful.

    The answer's own fixed lines (rag.joining: "The article lists 6 ways:", "Under “…”:") are not quotes and
    are set aside first; any other words outside the quotes still count against it. A marker is " [n]" with n
    a cited number: "[10]" inside a quoted passage ("from [] to [10]") is part of the quote.
    """
    text = without_joining(answer_text)
    pieces, at = [], 0
    for m in _CITING.finditer(text):
        if int(m.group(1)) in citations:
            pieces.append((text[at:m.start()], int(m.group(1))))
            at = m.end()
    pieces.append((text[at:], None))
    total = faithful = 0
    for piece, marker in pieces:
        sentence = _BULLET.sub("", piece.strip())  # a list bullet is formatting, not a claim
        if not sentence:
            continue
        total += 1
        if marker in citations and normalise(sentence) in normalise(citations[marker]):
            faithful += 1
    return faithful, total


def faithful_quotes(answer) -> tuple[int, int]:
    """faithful_sentences over an Answer, read quote by quote (rag.answer_checks.pieces): a "[1]" inside quoted
    code is part of the quote, not a marker. Text that is neither a quote nor one of the answer's own lines counts
    as unfaithful."""
    from rag.answer_checks import pieces

    cited = {c.n: c.text for c in answer.citations}
    total = faithful = 0
    for piece in pieces(answer):
        if piece.line:
            continue
        total += 1
        if piece.citation is not None and normalise(piece.text) in normalise(cited.get(piece.citation.n, "")):
            faithful += 1
    return faithful, total


def quoting_citations(answer) -> list:
    """The citations a quote of the answer rests on; a list's further items, only pointed at ("The other 7 are in
    Sources: [4] …"), are offered for reading, not cited for a claim."""
    from rag.answer_checks import pieces

    quoted = {p.citation.n for p in pieces(answer) if not p.line and p.citation is not None}
    return [c for c in answer.citations if c.n in quoted]


def is_grounded(answer_text: str, case: EvalCase) -> bool:
    """The answer carries an evidence quote, or most of the content words of one."""
    plain = normalise(_MARKER.sub("", without_joining(answer_text)))  # the answer's own lines are no evidence
    words = set(content_terms(plain))
    for quote in case.evidence:
        if normalise(quote) in plain:
            return True
        needed = set(content_terms(quote))
        if needed and len(needed & words) / len(needed) > 0.5:
            return True
    return False


def score_case(case: EvalCase, answer, hits, latency_ms: float, all_passages: dict[str, str], k: int = 5) -> dict:
    """One JSON-ready record: what was asked, answered, retrieved, and how it scores."""
    from llama_index.core.evaluation import MRR, HitRate

    retrieved = hits[:k]
    record = {
        "id": case.id, "kind": case.kind, "group": group_of(case), "question": case.question,
        "evidence": list(case.evidence), "answerable": case.answerable, "refused": answer.refused,
        "answer": answer.text, "latency_ms": round(latency_ms, 2),
        "top_score": round(hits[0].score, 4) if hits else None,
        "citations": [{"n": c.n, "text": c.text, "section": c.section, "score": round(c.score, 4),
                       "quotes": [q.to_dict() for q in c.quotes]} for c in answer.citations],
        "retrieved": [{"id": h.passage.id, "section": h.passage.section, "text": h.passage.text,
                       "score": round(h.score, 4)} for h in retrieved],
    }
    if case.answerable:
        expected = [pid for pid, text in all_passages.items() if case.holds_evidence(text)]
        ids = [h.passage.id for h in retrieved]
        rank = next((i + 1 for i, h in enumerate(retrieved) if case.holds_evidence(h.passage.text)), None)
        found = set().union(*(case.quotes_in(h.passage.text) for h in retrieved)) if retrieved else set()
        # A pipeline whose chunks cut every evidence quote apart has no expected passage (llama-index's
        # metrics refuse an empty list): it cannot find the evidence, so it scores 0.
        ranked = bool(expected and ids)
        record.update(
            rank=rank,
            hit1=HitRate().compute(expected_ids=expected, retrieved_ids=ids[:1]).score if ranked else 0.0,
            hit3=HitRate().compute(expected_ids=expected, retrieved_ids=ids[:3]).score if ranked else 0.0,
            mrr=MRR().compute(expected_ids=expected, retrieved_ids=ids).score if ranked else 0.0,
            recall5=len(found) / len(case.evidence),
            all5=float(len(found) == len(case.evidence)),
            answered=float(not answer.refused),
        )
        if not answer.refused:
            quoting = quoting_citations(answer)
            holding = [c for c in quoting if case.holds_evidence(c.text)]
            record.update(grounded=float(is_grounded(answer.text, case)),
                          citation_precision=len(holding) / len(quoting) if quoting else 0.0)
    else:
        record["refused_ok"] = float(answer.refused)
    if not answer.refused:
        faithful, total = faithful_quotes(answer)
        record.update(faithful_sentences=faithful, sentences=total,
                      defects=[d.to_dict() for d in answer_defects(answer)])
    return record


METRICS = ("hit@1", "hit@3", "MRR", "recall@5", "all@5", "answered", "refusal", "refusal far", "refusal near",
           "refusal adversarial", "grounded", "citation precision", "faithfulness", "p50 ms", "p95 ms")


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summarise(records: list[dict]) -> dict:
    """Metric name → value (None where no case applies) over `records`."""
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    answered = [r for r in answerable if not r["refused"]]
    spoken = [r for r in records if not r["refused"]]
    sentences = sum(r.get("sentences", 0) for r in spoken)
    latencies = [r["latency_ms"] for r in records]
    return {
        "hit@1": _mean(r["hit1"] for r in answerable),
        "hit@3": _mean(r["hit3"] for r in answerable),
        "MRR": _mean(r["mrr"] for r in answerable),
        "recall@5": _mean(r["recall5"] for r in answerable),
        "all@5": _mean(r["all5"] for r in answerable),
        "answered": _mean(r["answered"] for r in answerable),
        "refusal": _mean(r["refused_ok"] for r in unanswerable),
        "refusal far": _mean(r["refused_ok"] for r in unanswerable if r["group"] == "far"),
        "refusal near": _mean(r["refused_ok"] for r in unanswerable if r["group"] == "near"),
        "refusal adversarial": _mean(r["refused_ok"] for r in unanswerable if r["group"] == "adversarial"),
        "grounded": _mean(r.get("grounded") for r in answered),
        "citation precision": _mean(r.get("citation_precision") for r in answered),
        "faithfulness": (sum(r.get("faithful_sentences", 0) for r in spoken) / sentences) if sentences else None,
        "p50 ms": _percentile(latencies, 0.5),
        "p95 ms": _percentile(latencies, 0.95),
        "cases": len(records),
        "defects": sum(len(r.get("defects", ())) for r in records),
        "defects by kind": defect_counts(records),
    }


def defect_counts(records: list[dict]) -> dict[str, int]:
    """Defect kind → how many times it occurs in the answers (rag.answer_checks.KINDS, every kind listed)."""
    counts = dict.fromkeys(KINDS, 0)
    for r in records:
        for d in r.get("defects", ()):
            counts[d["kind"]] = counts.get(d["kind"], 0) + 1
    return counts


def summarise_by_kind(records: list[dict]) -> dict[str, dict]:
    kinds = sorted({r["kind"] for r in records}, key=lambda k: [r["kind"] for r in records].index(k))
    return {kind: summarise([r for r in records if r["kind"] == kind]) for kind in kinds}
