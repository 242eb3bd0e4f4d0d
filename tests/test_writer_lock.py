"""One writer per data folder: two ingests at once, readers during a first build, disk full during a rebuild."""
from __future__ import annotations

import json
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, subprocess_env

pytestmark = pytest.mark.slow  # concurrent ingests of 300 articles

QUESTION = "What grows in bed 117?"


def rag(*args, env, timeout=300, **kwargs):
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, **kwargs)


def start_rag(*args, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rag.cli", *args], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def many_notes(folder: Path, n: int) -> Path:
    """`n` small articles, one garden bed each: enough passages that an ingest takes several seconds."""
    folder.mkdir()
    topics = ["soil", "compost", "pruning", "seedlings", "greenhouses", "aphids", "irrigation", "mulch"]
    for i in range(n):
        (folder / f"bed-{i}.md").write_text(
            f"---\ntitle: Bed {i}\n---\n\n# Bed {i}\n\n"
            f"Gardeners check the {topics[i % 8]} in bed {i} every {i % 9 + 2} days and write down what changed.\n\n"
            f"Bed {i} grows {topics[(i + 3) % 8]} beside {topics[(i + 5) % 8]}, rotated each spring.\n",
            encoding="utf-8")
    return folder


def reader(env) -> dict:
    return {**env, "RAG_AUTO_INGEST": "false"}


def test_two_ingests_at_once_leave_one_complete_index(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(many_notes(tmp_path / "notes", 300)),
                         RAG_DATA_DIR=str(tmp_path / "data"), RAG_ONNX="false")
    first, second = start_rag("ingest", "-q", env=env), start_rag("ingest", "-q", env=env)
    outs = [p.communicate(timeout=600) for p in (first, second)]
    codes = [first.returncode, second.returncode]
    for (_, err), code in zip(outs, codes):
        assert "Traceback" not in err, err[-3000:]
        assert code == 0, (code, err[-3000:])
    answered = rag("ask", "--json", QUESTION, env=reader(env))
    assert answered.returncode == 0 and "Traceback" not in answered.stderr, answered.stderr[-3000:]
    answer = json.loads(answered.stdout)
    assert not answer["refused"] and answer["citations"][0]["source"] == "Bed 117"
    summaries = sorted(out.strip() for out, _ in outs)
    built = re.match(r"Built index: (\d+) passages from 300 documents", summaries[0])
    assert built and int(built.group(1)) >= 300, summaries
    again = rag("ingest", env=env)
    up_to_date = f"Index up to date: {built.group(1)} passages"
    assert again.returncode == 0 and up_to_date in again.stdout, again.stdout + again.stderr

    waited = [err for _, err in outs if "waiting for another ingest" in err]
    assert len(waited) == 1, f"exactly one ingest waited for the other: {[e[-500:] for _, e in outs]}"
    assert len(waited[0].strip().splitlines()) == 1, waited[0]
    assert summaries[1].startswith(up_to_date), summaries


def test_a_second_ingest_that_waits_too_long_gives_up_with_one_line(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(many_notes(tmp_path / "notes", 300)),
                         RAG_DATA_DIR=str(tmp_path / "data"), RAG_ONNX="false")
    first = start_rag("ingest", "-q", env=env)
    try:
        _wait_for_the_build(tmp_path / "data", first)
        late = rag("ingest", "-q", env={**env, "RAG_INGEST_WAIT": "1"}, timeout=120)
        assert late.returncode == 2, late.stderr
        lines = late.stderr.strip().splitlines()
        assert "Traceback" not in late.stderr and len(lines) == 2, late.stderr  # "waiting …", then the verdict
        assert "waiting for another ingest" in lines[0]
        assert lines[1].startswith("rag: ") and "another ingest" in lines[1] and "RAG_INGEST_WAIT" in lines[1]
    finally:
        first.communicate(timeout=600)
    assert first.returncode == 0


def _wait_for_the_build(data: Path, proc: subprocess.Popen, grown: int = 256 * 1024) -> None:
    """Until the first ingest has written part of its batches (its database has grown)."""
    database = data / "chroma" / "chroma.sqlite3"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        if database.is_file() and database.stat().st_size > grown:
            return
        time.sleep(0.05)
    raise AssertionError(f"the ingest did not start writing in time (exit {proc.poll()})")


def test_a_reader_refuses_an_index_whose_first_build_is_under_way(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(many_notes(tmp_path / "notes", 300)),
                         RAG_DATA_DIR=str(tmp_path / "data"), RAG_ONNX="false")
    builder = start_rag("ingest", "-q", env=env)
    try:
        _wait_for_the_build(tmp_path / "data", builder)
        early = rag("ask", "--json", QUESTION, env=reader(env))
        assert builder.poll() is None, "the build was still under way while the reader asked"
    finally:
        builder.communicate(timeout=600)
    assert early.returncode == 1 and early.stdout == "", early.stdout[-2000:]
    assert early.stderr.strip().startswith("rag: ") and "being built" in early.stderr, early.stderr[-2000:]
    assert len(early.stderr.strip().splitlines()) == 1, early.stderr
    late = json.loads(rag("ask", "--json", QUESTION, env=reader(env)).stdout)
    assert not late["refused"] and late["citations"][0]["source"] == "Bed 117"


def _file_size_limit(limit: int):
    """In the child: files cannot grow past `limit` bytes (a full disk, without mounting one)."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_during_rebuild_keeps_the_old_index_answering(small_corpus, tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(small_corpus), RAG_DATA_DIR=str(tmp_path / "data"), RAG_ONNX="false")
    assert rag("ingest", "-q", env=env).returncode == 0
    old = json.loads(rag("ask", "--json", "How often should I feed a sourdough starter?", env=reader(env)).stdout)
    assert not old["refused"]
    many_notes(small_corpus / "beds", 300)  # the rebuild now needs far more room than the limit leaves

    full = rag("ingest", "--rebuild", "-q", env=env, preexec_fn=_file_size_limit(600 * 1024))
    assert full.returncode in (1, 2) and "Traceback" not in full.stderr, full.stderr[-3000:]
    assert len(full.stderr.strip().splitlines()) == 1, full.stderr
    assert full.stderr.startswith("rag: ") and "full" in full.stderr, full.stderr
    assert "--rebuild" not in full.stderr, "the hint must not be one that deletes the index"

    after = rag("ask", "--json", "How often should I feed a sourdough starter?", env=reader(env))
    assert after.returncode == 0, after.stderr[-2000:]
    assert json.loads(after.stdout)["citations"] == old["citations"], "the old index answers as before"
    leftovers = sorted(p.name for p in (tmp_path / "data").iterdir()
                       if p.is_dir() and not p.name.startswith("index-files-"))  # the index's own files stay
    assert leftovers == ["chroma"], f"the partial rebuild was cleaned away: {leftovers}"
    rebuilt = rag("ingest", "--rebuild", "-q", env=env)
    assert rebuilt.returncode == 0 and rebuilt.stdout.startswith("Rebuilt index: "), rebuilt.stdout
    assert not json.loads(rag("ask", "--json", QUESTION, env=reader(env)).stdout)["refused"]


def test_a_running_memory_index_follows_a_rebuild_by_another_process(small_corpus, tmp_path, monkeypatch):
    from rag import vector_cache
    from rag.assistant import Assistant
    from rag.settings import Settings

    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", onnx=False)
    running = Assistant.load(settings, quiet=True)
    question = "How often should bicycle brake pads be replaced?"
    assert running.ask(question).refused
    old = running.store.folder
    (small_corpus / "brakes.md").write_text("# Brakes\n\nReplace bicycle brake pads every 2,000 kilometres, "
                                            "or sooner when the grooves are worn away.\n", encoding="utf-8")
    env = subprocess_env(RAG_CORPUS_DIR=str(small_corpus), RAG_DATA_DIR=str(settings.data_dir), RAG_ONNX="false")
    done = rag("ingest", "--rebuild", "-q", env=env)
    assert done.returncode == 0, done.stderr
    assert not old.exists(), "the old index folder was removed after the swap"
    monkeypatch.setattr(vector_cache, "RECHECK_SECONDS", 0.0)
    answer = running.ask(question)
    assert not answer.refused and "2,000 kilometres" in answer.text
