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

pytestmark = pytest.mark.slow  # the whole eval on every corpus: minutes

GATES = tomllib.loads((ROOT / "eval" / "thresholds.toml").read_text(encoding="utf-8"))
THRESHOLDS = GATES["floors"]
MAX_DEFECTS = GATES["defects"]["per corpus"]
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


@pytest.fixture(scope="module")
def every_corpus(embedder) -> dict:
    """`rag eval --all` on every corpus of eval/corpora.toml (the article and four Debian doc sets), all cases."""
    from rag.assistant import Assistant
    from rag.store import PassageStore

    from eval.corpora import load_catalogue
    from eval.multi import corpus_settings, evaluate_corpus, write_multi_report

    catalogue = load_catalogue()
    missing = {name: str(c.missing()[0]) for name, c in catalogue.items() if c.missing()}
    assert not missing, f"install the Debian doc packages (`make test` does): {missing}"
    results: dict = {"corpora": {}, "skipped": {}}
    for name, corpus in catalogue.items():
        settings = corpus_settings(corpus, CORPORA_OUT)
        assistant = Assistant(settings, PassageStore(settings), embedder)
        assistant.refresh_index(progress=False)
        results["corpora"][name] = evaluate_corpus(corpus, CORPORA_OUT, assistant=assistant, progress=False)
    write_multi_report(results, CORPORA_OUT)
    return results


def test_no_corpus_has_answer_defects(every_corpus):
    """No answer on any corpus has a defect, and every quote is verbatim."""
    for name, result in every_corpus["corpora"].items():
        summary = result["summary"]
        defective = {r["id"]: r["defects"] for r in result["cases"] if r.get("defects")}
        assert summary["defects"] <= MAX_DEFECTS, f"{name}: answers with defects: {defective}"
        assert summary["faithfulness"] == 1.0, name


def test_every_corpus_meets_its_floors(every_corpus):
    """Each corpus stays above its floors in eval/thresholds.toml, and the report has its per-split tables."""
    assert set(GATES["corpora"]) == set(every_corpus["corpora"]), "every corpus has its floors"
    below = {}
    for name, floors in GATES["corpora"].items():
        summary = every_corpus["corpora"][name]["summary"]
        below.update({f"{name} {m}": (round(summary[m], 4), floor) for m, floor in floors.items() if summary[m] < floor})
    assert not below, f"metrics below their floors (measured, floor): {below}"
    report = (CORPORA_OUT / "report.md").read_text(encoding="utf-8")
    assert "## Test split (never tuned on)" in report and all(f" {name} (" in report for name in every_corpus["corpora"])


def test_rag_eval_baseline_prints_both_columns(tmp_path, article_data):
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(article_data))
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


def test_rag_eval_all_prints_a_column_per_corpus(tmp_path):
    env = subprocess_env(RAG_DATA_DIR=str(tmp_path / "unused"))
    out = subprocess.run([sys.executable, "-m", "rag.cli", "eval", "--corpora", "home", "--split", "test",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| metric | home (" in out.stdout and "| mean |" in out.stdout.splitlines()[0]
    results = json.loads((tmp_path / "out" / "corpora" / "results.json").read_text(encoding="utf-8"))
    assert {r["split"] for r in results["corpora"]["home"]["cases"]} == {"test"}
    bad = subprocess.run([sys.executable, "-m", "rag.cli", "eval", "--corpora", "nowhere", "--out", str(tmp_path)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and "unknown corpus 'nowhere'" in bad.stderr and "Traceback" not in bad.stderr
