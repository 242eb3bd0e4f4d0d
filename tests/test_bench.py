"""`rag bench --json` runs every measurement end to end on a small curve, with the real-corpus row (python3-doc
pages, or a message saying why it was skipped), and writes its report files."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, subprocess_env

PYTHON_DOC = Path("/usr/share/doc/python3-doc/html/library")
REAL_KEYS = {"pages", "passages", "ingest_s", "ingest_passages_per_s", "ingest_rss_mb", "cold_ask_s", "cold_ask_rss_mb",
             "reingest_one_page_s"}
KEYS = {"ask_p50_ms", "ask_p95_ms", "encode_p50_ms", "cold_ask_s", "app_ready_s", "ingest_s", "reingest_s", "rss_mb"}


@pytest.mark.slow  # builds indexes of 200 and 400 passages and starts the app three times
def test_bench_json_has_every_figure(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-m", "rag.cli", "bench", "--json", "--sizes", "200,400", "--no-naive",
                           "--real-pages", "2", "--out", str(tmp_path / "out")], env=env, capture_output=True,
                          text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert KEYS <= set(result) and all(result[k] > 0 for k in KEYS)
    assert result["naive"] == {} and result["ask_over_encode"] > 0
    assert [p["passages"] for p in result["scale"]] == [200, 400]
    for point in result["scale"]:
        assert set(point) == {"passages", "p50_ms", "p95_ms", "rss_mb", "ingest_per_s"}
        assert all(v > 0 for v in point.values())
    real = result["real_corpus"]
    if PYTHON_DOC.is_dir():
        assert set(real) == REAL_KEYS and real["pages"] == 2 and all(real[k] > 0 for k in REAL_KEYS)
        assert real["passages"] > 50, "two pages of the library reference make dozens of passages"
    else:
        assert "python3-doc" in real["skipped"]
    for name in ("bench.md", "bench.json", "bench.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    report = (tmp_path / "out" / "bench.md").read_text(encoding="utf-8")
    assert "| warm ask p50 (ms) |" in report and "Real corpus:" in report


def test_bench_rejects_bad_sizes(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-m", "rag.cli", "bench", "--sizes", "10,abc"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2 and "--sizes" in done.stderr


def test_the_real_corpus_row_is_skipped_with_a_message_without_its_pages(tmp_path):
    from eval.bench_real import measure_real_corpus, real_markdown, real_targets_met

    row = measure_real_corpus(40, tmp_path / "no-python3-doc", say=lambda _: None)
    assert set(row) == {"skipped"} and "apt-get install python3-doc" in row["skipped"]
    assert real_targets_met(row) == {} and "skipped" in real_markdown(row)[0]
