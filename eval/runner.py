"""Run the eval set through the Assistant (and optionally the naive baseline) and write the report."""
from __future__ import annotations

import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from rag.settings import Settings

from .evalset import DEFAULT_SET, EvalCase, load_eval_set
from .scoring import score_case, summarise, summarise_by_kind

DEFAULT_OUT = Path("eval/out")


def evaluate(ask_traced, cases: list[EvalCase], all_passages: dict[str, str], label: str,
             progress: bool | None = None) -> dict:
    from tqdm import tqdm

    records = []
    for case in tqdm(cases, desc=f"eval {label}", unit="q", file=sys.stderr, disable=(not progress) if progress is not None else None):
        started = time.perf_counter()
        answer, hits, evidence = ask_traced(case.question, case.context)
        record = score_case(case, answer, hits, (time.perf_counter() - started) * 1000, all_passages)
        if evidence is not None:
            record.update(top=round(evidence.top, 4), coverage=round(evidence.coverage, 4), unknown=list(evidence.unknown))
        records.append(record)
    return {"summary": summarise(records), "by_kind": summarise_by_kind(records), "cases": records}


def run_eval(settings: Settings | None = None, set_path: Path | None = None, out_dir: Path | None = None,
             baseline: bool = False, ablation: bool = False, progress: bool | None = None,
             assistant=None, split: str | None = None) -> dict:
    from rag.assistant import Assistant
    from rag.corpus import load_corpus

    from .report import write_report

    settings = settings or Settings.from_env()
    set_path = Path(set_path or DEFAULT_SET)
    assistant = assistant or Assistant.load(settings, quiet=progress is False)
    cases = load_eval_set(set_path, [d.text for d in load_corpus(settings.corpus_dir)], split)
    passages = assistant.store.texts()
    results = {
        "set": str(set_path), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()},
        "system": evaluate(assistant.ask_traced, cases, passages, "system", progress),
    }
    if baseline:
        from .baseline import NaiveBaseline

        naive = NaiveBaseline(settings.corpus_dir)
        try:
            results["baseline"] = evaluate(naive.ask_traced, cases, naive.passages, "baseline", progress)
        finally:
            naive.close()
    if ablation:
        from .ablation import run_ablation

        results["ablation"] = run_ablation(assistant, cases, passages, progress)
    results["paths"] = {k: str(v) for k, v in write_report(results, Path(out_dir or DEFAULT_OUT)).items()}
    return results
