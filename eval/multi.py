"""Score the system on every corpus of eval/corpora.toml: one table per corpus and split, and their mean."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from rag.settings import Settings

from .corpora import CorpusUnavailable, EvalCorpus, load_catalogue
from .evalset import EvalCase, load_eval_set
from .scoring import summarise

SPLITS = ("dev", "test")


def corpus_settings(corpus: EvalCorpus, out_dir: Path, base: Settings | None = None) -> Settings:
    """Settings over the corpus's folder with an index folder of its own under out_dir/index/<name>."""
    base = base or Settings.from_env()
    folder = corpus.materialize(out_dir / "corpora")
    return replace(base, corpus_dir=folder, data_dir=out_dir / "index" / corpus.name)


def corpus_cases(corpus: EvalCorpus, settings: Settings, split: str | None = None) -> list[EvalCase]:
    """The cases of every eval set of the corpus, each evidence quote checked against its articles."""
    from rag.corpus import load_corpus

    texts = [d.text for d in load_corpus(settings.corpus_dir)]
    return [case for path in corpus.sets for case in load_eval_set(path, texts, split)]


def evaluate_corpus(corpus: EvalCorpus, out_dir: Path, base: Settings | None = None, split: str | None = None,
                    progress: bool | None = None, assistant=None, baseline: bool = False,
                    ablation: bool = False) -> dict:
    """Records and summaries (all cases, then per split) of one corpus; optionally the naive baseline's
    summary and the ablation rows on the same cases."""
    from rag.assistant import Assistant

    from .runner import evaluate

    settings = corpus_settings(corpus, out_dir, base)
    assistant = assistant or Assistant.load(settings, quiet=progress is False)
    cases = corpus_cases(corpus, settings, split)
    passages = assistant.store.texts()
    result = evaluate(assistant.ask_traced, cases, passages, corpus.name, progress)
    split_of = {c.id: c.split for c in cases}
    result["by_split"] = {s: summarise([r for r in result["cases"] if split_of[r["id"]] == s])
                          for s in SPLITS if any(v == s for v in split_of.values())}
    for record in result["cases"]:
        record["split"] = split_of[record["id"]]
    if baseline:
        from .baseline import NaiveBaseline

        naive = NaiveBaseline(settings.corpus_dir)
        try:
            result["baseline"] = evaluate(naive.ask_traced, cases, naive.passages, f"{corpus.name} baseline",
                                          progress)["summary"]
        finally:
            naive.close()
    if ablation:
        from .ablation import run_ablation

        result["ablation"] = run_ablation(assistant, cases, passages, progress)
    return result


def run_corpora(names: list[str] | None = None, out_dir: Path = Path("eval/out/corpora-report"),
                base: Settings | None = None, split: str | None = None, progress: bool | None = None,
                baseline: bool = False, ablation: bool = False) -> dict:
    """Evaluate each named corpus (all by default); corpora whose files are missing are skipped with a note."""
    catalogue = load_catalogue()
    unknown = [n for n in names or () if n not in catalogue]
    if unknown:
        raise ValueError(f"unknown corpus {unknown[0]!r}; eval/corpora.toml has {', '.join(catalogue)}")
    results: dict = {"corpora": {}, "skipped": {}}
    for name in names or list(catalogue):
        try:
            results["corpora"][name] = evaluate_corpus(catalogue[name], out_dir, base, split, progress,
                                                       baseline=baseline, ablation=ablation)
        except CorpusUnavailable as exc:
            results["skipped"][name] = str(exc)
            print(f"rag: skipped: {exc}", file=sys.stderr)
    write_multi_report(results, out_dir)
    return results


TABLE_METRICS = ("hit@1", "hit@3", "MRR", "answered", "refusal", "refusal far", "refusal near", "grounded",
                 "citation precision", "faithfulness", "p50 ms")


def corpora_table(results: dict, split: str | None = None) -> str:
    """Metric rows, one column per corpus and one for their mean (each corpus weighs the same)."""
    from .report import fmt

    summaries = {}
    for name, result in results["corpora"].items():
        summary = result["summary"] if split is None else result["by_split"].get(split)
        if summary:
            summaries[name] = summary
    names = list(summaries)
    lines = ["| metric | " + " | ".join(f"{n} ({summaries[n]['cases']})" for n in names) + " | mean |",
             "|---|" + "---:|" * (len(names) + 1)]
    for metric in TABLE_METRICS:
        values = [summaries[n][metric] for n in names]
        known = [v for v in values if v is not None]
        mean = sum(known) / len(known) if known else None
        lines.append(f"| {metric} | " + " | ".join(fmt(metric, v) for v in values) + f" | {fmt(metric, mean)} |")
    return "\n".join(lines)


def baseline_table(results: dict) -> str:
    """hit@1, hit@3, answered and refusal of the system beside the naive baseline, per corpus."""
    from .report import fmt

    metrics = ("hit@1", "hit@3", "answered", "refusal", "grounded")
    lines = ["| corpus | " + " | ".join(f"{m} system / naive" for m in metrics) + " |",
             "|---|" + "---:|" * len(metrics)]
    for name, result in results["corpora"].items():
        if result.get("baseline"):
            lines.append(f"| {name} | " + " | ".join(
                f"{fmt(m, result['summary'][m])} / {fmt(m, result['baseline'][m])}" for m in metrics) + " |")
    return "\n".join(lines)


def write_multi_report(results: dict, out_dir: Path) -> Path:
    from .ablation import ablation_table

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    lines = ["# Eval report: every corpus", ""]
    for title, split in (("All cases", None), ("Test split (never tuned on)", "test"), ("Dev split", "dev")):
        lines += [f"## {title}", "", corpora_table(results, split), ""]
    from .report import defects_table

    lines += ["## Answer defects", "", defects_table({n: r["summary"] for n, r in results["corpora"].items()}), ""]
    if any(r.get("baseline") for r in results["corpora"].values()):
        lines += ["## Naive llama-index baseline", "", baseline_table(results), ""]
    for name, result in results["corpora"].items():
        if result.get("ablation"):
            lines += [f"## Ablation: {name}", "", ablation_table(result["ablation"], result.get("baseline")), ""]
    for name, reason in results["skipped"].items():
        lines.append(f"- skipped {name}: {reason}")
    report = out_dir / "report.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report

