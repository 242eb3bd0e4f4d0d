"""CI gate: the eval on the full set stays above eval/thresholds.toml, and writes its report; no corpus's answers
have defects."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest

from conftest import CORPUS, ROOT, subprocess_env
from eval.runner import run_eval

GATE = tomllib.loads((ROOT / "eval" / "thresholds.toml").read_text(encoding="utf-8"))
THRESHOLDS = GATE["floors"]
MAX_DEFECTS = GATE["defects"]["per corpus"]
# The folder `rag eval --all` uses: the corpora's indexes are built once (minutes) and kept; later runs only check
# they are current.
CORPORA_OUT = ROOT / "eval" / "out" / "corpora-report"


def test_eval_meets_thresholds(assistant, article_settings, tmp_path):
    results = run_eval(article_settings, out_dir=tmp_path, assistant=assistant, progress=False)
    summary = results["system"]["summary"]
    below = {m: (round(summary[m], 4), floor) for m, floor in THRESHOLDS.items() if summary[m] < floor}
    assert not below, f"metrics below their floors (measured, floor): {below}"
    for name in ("report.md", "results.json", "metrics_by_kind.png", "score_distribution.png", "latency.png"):
        assert (tmp_path / name).stat().st_size > 0
    for case in results["system"]["cases"]:  # every highlighted quote is exactly where it says
        for c in case["citations"]:
            assert c["quotes"] and all(c["text"][q["start"]:q["end"]] == q["text"] for q in c["quotes"]), case["id"]
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| hit@1 |" in report and "## Misses" in report and "## Answer defects" in report
    defective = {r["id"]: r["defects"] for r in results["system"]["cases"] if r.get("defects")}
    assert summary["defects"] <= MAX_DEFECTS, f"answers with defects: {defective}"


def test_no_corpus_has_answer_defects(embedder):
    """Every corpus of eval/corpora.toml, all its cases: no answer has a defect, every quote is verbatim."""
    from rag.assistant import Assistant
    from rag.store import PassageStore

    from eval.corpora import CorpusUnavailable, load_catalogue
    from eval.multi import corpus_settings, evaluate_corpus, write_multi_report

    results: dict = {"corpora": {}, "skipped": {}}
    for name, corpus in load_catalogue().items():
        try:
            settings = corpus_settings(corpus, CORPORA_OUT)
        except CorpusUnavailable as exc:
            results["skipped"][name] = str(exc)
            continue
        assistant = Assistant(settings, PassageStore(settings), embedder)
        assistant.refresh_index(progress=False)
        results["corpora"][name] = evaluate_corpus(corpus, CORPORA_OUT, assistant=assistant, progress=False)
    if not results["corpora"]:
        pytest.skip(f"no eval corpus is on this machine: {results['skipped']}")
    write_multi_report(results, CORPORA_OUT)
    for name, result in results["corpora"].items():
        summary = result["summary"]
        defective = {r["id"]: r["defects"] for r in result["cases"] if r.get("defects")}
        assert summary["defects"] <= MAX_DEFECTS, f"{name}: answers with defects: {defective}"
        assert summary["faithfulness"] == 1.0, name


def test_rag_eval_baseline_prints_both_columns(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-m", "rag.cli", "eval", "--baseline", "--ablation", "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| metric | system | baseline | system / baseline |" in out.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["baseline"]["summary"]["refusal"] == 0.0, "the naive pipeline never refuses"
    assert results["baseline"]["summary"]["cases"] == results["system"]["summary"]["cases"]
    steps = [row["step"] for row in results["ablation"]]
    assert steps[0] == "dense only" and steps[-1].endswith("(= system)")
    assert results["ablation"][-1]["hit@1"] == results["system"]["summary"]["hit@1"]
    assert "## Ablation" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
