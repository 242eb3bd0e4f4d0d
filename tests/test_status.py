"""`rag status`: the index's model, dimension, counts, size and last ingest, and whether the corpus changed since."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from conftest import CORPUS, FAQ_ARTICLE, ROOT, subprocess_env


def status(corpus, data, *flags: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = subprocess_env(RAG_CORPUS_DIR=str(corpus), RAG_DATA_DIR=str(data))
    return subprocess.run([sys.executable, "-m", "rag.cli", "status", *flags], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def status_json(corpus, data) -> dict:
    done = status(corpus, data, "--json")
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    return json.loads(lines[0])


def test_without_an_index_it_says_so_in_one_line_and_creates_nothing(tmp_path):
    data = tmp_path / "data"
    done = status(CORPUS, data)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == f"No index yet in {data}: `rag ingest` builds it from {CORPUS}.\n"
    assert not data.exists()
    assert status_json(CORPUS, data) == {"state": "missing", "data_dir": str(data), "corpus_dir": str(CORPUS)}


def test_an_index_reports_its_model_dimension_counts_size_and_last_ingest(article_data):
    got = status_json(CORPUS, article_data)
    assert got["state"] == "current" and (got["added"], got["changed"], got["removed"]) == ([], [], [])
    assert got["model"] == "sentence-transformers/all-MiniLM-L6-v2" and got["dimension"] == 384
    assert got["documents"] == 1 and got["passages"] > 50 and got["units"] > got["passages"]
    assert got["index_dir"] == str(article_data / "chroma")
    assert 0 < got["index_bytes"] < got["data_bytes"]  # the data folder also holds the ONNX export
    ingested = datetime.fromisoformat(got["last_ingest"])
    assert timedelta(0) <= datetime.now(timezone.utc) - ingested < timedelta(hours=2)
    text = status(CORPUS, article_data).stdout
    assert "sentence-transformers/all-MiniLM-L6-v2 (384 dimensions)" in text
    assert f"1 documents, {got['passages']} passages, {got['units']} units" in text
    assert f"state       current: {CORPUS} has not changed since the last ingest" in text


def test_changed_added_and_removed_files_make_it_stale_and_are_named(article_data, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    assert status_json(corpus, article_data)["state"] == "current"  # doc ids are paths inside the corpus
    with open(corpus / FAQ_ARTICLE.name, "a", encoding="utf-8") as f:
        f.write("\n\nA paragraph added after the last ingest, about trust.\n")
    (corpus / "notes.md").write_text("# Notes\n\nA new article about listening.\n", encoding="utf-8")
    got = status_json(corpus, article_data)
    assert (got["state"], got["added"], got["changed"], got["removed"]) == (
        "stale", ["notes.md"], [FAQ_ARTICLE.name], [])
    text = status(corpus, article_data).stdout
    assert "state       stale: `rag ingest` brings the index in line with" in text
    assert f"  added   notes.md\n  changed {FAQ_ARTICLE.name}\n" in text
    (corpus / FAQ_ARTICLE.name).unlink()
    got = status_json(corpus, article_data)
    assert (got["state"], got["added"], got["changed"], got["removed"]) == (
        "stale", ["notes.md"], [], [FAQ_ARTICLE.name])


def test_status_loads_no_model(article_data):
    probe = ("import sys; from rag.cli import main; main(['status']); "
             "print(sorted(m for m in ('torch', 'sentence_transformers', 'onnxruntime', 'transformers') "
             "if m in sys.modules))")
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(article_data))
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "[]"


def test_an_index_without_its_digest_is_incomplete(article_data):
    from rag.settings import Settings
    from rag.store import PassageStore

    store = PassageStore(Settings(corpus_dir=CORPUS, data_dir=article_data))
    info = {k: v for k, v in store.info.items() if k != "corpus_digest"}
    store.collection().modify(metadata=info)  # as an ingest leaves it until its last step
    assert "corpus_digest" not in PassageStore(Settings(corpus_dir=CORPUS, data_dir=article_data)).info
    got = status_json(CORPUS, article_data)
    assert got["state"] == "incomplete" and got["passages"] > 50
    assert "state       incomplete: an ingest is under way or was interrupted" in status(CORPUS, article_data).stdout
