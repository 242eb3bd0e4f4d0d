"""`rag bench --json` runs every measurement end to end on a small curve and writes its report files."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CORPUS, ROOT, subprocess_env

KEYS = {"ask_p50_ms", "ask_p95_ms", "encode_p50_ms", "cold_ask_s", "app_ready_s", "ingest_s", "reingest_s", "rss_mb"}


@pytest.mark.slow  # builds indexes of 200 and 400 passages and starts the app three times
def test_bench_json_has_every_figure(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-m", "rag.cli", "bench", "--json", "--sizes", "200,400", "--no-naive",
                           "--out", str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=900,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert KEYS <= set(result) and all(result[k] > 0 for k in KEYS)
    assert result["naive"] == {} and result["ask_over_encode"] > 0
    assert [p["passages"] for p in result["scale"]] == [200, 400]
    for point in result["scale"]:
        assert set(point) == {"passages", "p50_ms", "p95_ms", "rss_mb", "ingest_per_s"}
        assert all(v > 0 for v in point.values())
    for name in ("bench.md", "bench.json", "bench.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    assert "| warm ask p50 (ms) |" in (tmp_path / "out" / "bench.md").read_text(encoding="utf-8")


def test_bench_rejects_bad_sizes(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-m", "rag.cli", "bench", "--sizes", "10,abc"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2 and "--sizes" in done.stderr
