"""The ablation table: the naive baseline, dense only, then each retrieval step added in turn."""
from __future__ import annotations

from dataclasses import replace

from rag.settings import Settings

from .evalset import EvalCase

COLUMNS = ("hit@1", "hit@3", "all@5", "answered", "refusal far", "refusal near", "p50 ms")


def steps(settings: Settings) -> list[tuple[str, Settings]]:
    """Cumulative variants of `settings`, each switching one more step on; the last is `settings` itself."""
    # Before the answerability step, refusal is the spine's single cosine threshold (0.38).
    cosine_only = dict(answer_bias=-3.8, answer_top_weight=10.0, answer_agreement_weight=0.0,
                       answer_coverage_weight=0.0)
    dense = replace(settings, keyword_weight=0.0, passage_weight=1.0, sentence_weight=0.0, heading_weight=0.0,
                    correct_typos=False, long_question_focus=False, **cosine_only)
    keyword = replace(dense, keyword_weight=settings.keyword_weight)
    units = replace(keyword, passage_weight=settings.passage_weight, sentence_weight=settings.sentence_weight,
                    heading_weight=settings.heading_weight)
    typos = replace(units, correct_typos=settings.correct_typos)
    focus = replace(typos, long_question_focus=settings.long_question_focus)
    return [("dense only", dense), ("+ keyword (BM25, RRF)", keyword),
            ("+ sentence and heading vectors", units), ("+ typo correction", typos),
            ("+ long questions: asking sentences searched too", focus),
            ("+ answerability: score and word coverage (= system)", settings)]


def run_ablation(assistant, cases: list[EvalCase], all_passages: dict[str, str], progress=None) -> list[dict]:
    from rag.assistant import Assistant

    from .runner import evaluate

    rows = []
    for label, variant in steps(assistant.settings):
        trial = Assistant(variant, assistant.store, assistant.embedder)
        trial.retriever._keyword, trial.retriever._vocabulary = assistant.retriever.keyword, assistant.retriever.vocabulary
        trial.retriever.store = assistant.retriever.store  # the same in-memory index, so p50s compare
        rows.append({"step": label, **evaluate(trial.ask_traced, cases, all_passages, label, progress)["summary"]})
    return rows


def ablation_table(rows: list[dict], baseline: dict | None) -> str:
    from .report import fmt

    lines = ["| step | " + " | ".join(COLUMNS) + " |", "|---|" + "---:|" * len(COLUMNS)]
    if baseline:
        lines.append("| naive baseline | " + " | ".join(fmt(c, baseline[c]) for c in COLUMNS) + " |")
    for row in rows:
        lines.append(f"| {row['step']} | " + " | ".join(fmt(c, row[c]) for c in COLUMNS) + " |")
    return "\n".join(lines)
