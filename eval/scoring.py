"""Score one answered case, then aggregate: hit@k, MRR, recall, refusal, grounding, citation precision, faithfulness."""
from __future__ import annotations

import re
import statistics

from rag.terms import content_terms

from .evalset import EvalCase, group_of, normalise

_MARKER = re.compile(r"\s*\[(\d+)\]")
_BULLET = re.compile(r"^[-*•]\s+")


def faithful_sentences(answer_text: str, citations: dict[int, str]) -> tuple[int, int]:
    """(sentences found verbatim in the passage their marker cites, sentences); unmarked text counts as unfaithful."""
    pieces = _MARKER.split(answer_text)
    total = faithful = 0
    for i in range(0, len(pieces), 2):
        sentence = _BULLET.sub("", pieces[i].strip())  # a list bullet is formatting, not a claim
        if not sentence:
            continue
        total += 1
        marker = int(pieces[i + 1]) if i + 1 < len(pieces) else None
        if marker in citations and normalise(sentence) in normalise(citations[marker]):
            faithful += 1
    return faithful, total


def is_grounded(answer_text: str, case: EvalCase) -> bool:
    """The answer carries an evidence quote, or most of the content words of one."""
    plain = normalise(_MARKER.sub("", answer_text))
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
            holding = [c for c in answer.citations if case.holds_evidence(c.text)]
            record.update(grounded=float(is_grounded(answer.text, case)),
                          citation_precision=len(holding) / len(answer.citations) if answer.citations else 0.0)
    else:
        record["refused_ok"] = float(answer.refused)
    if not answer.refused:
        faithful, total = faithful_sentences(answer.text, {c.n: c.text for c in answer.citations})
        record.update(faithful_sentences=faithful, sentences=total)
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
    }


def summarise_by_kind(records: list[dict]) -> dict[str, dict]:
    kinds = sorted({r["kind"] for r in records}, key=lambda k: [r["kind"] for r in records].index(k))
    return {kind: summarise([r for r in records if r["kind"] == kind]) for kind in kinds}
