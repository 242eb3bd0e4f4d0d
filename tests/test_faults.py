"""Faults lose nothing: a killed ingest, a damaged data folder, a Chroma server that stops, two processes at once."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, free_port, start_process, stop_process, subprocess_env

pytestmark = pytest.mark.slow  # several processes killed, servers stopped and hung: minutes


def rag(*args, env, timeout=300, stdin=None):
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, input=stdin)


def ask_json(question: str, env) -> dict:
    done = rag("ask", "--json", question, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    return json.loads(done.stdout)


def big_article(n: int) -> str:
    topics = ["soil", "compost", "pruning", "seedlings", "greenhouses", "aphids", "irrigation", "mulch"]
    paragraphs = [f"Section note {i}: gardeners who tend {topics[i % 8]} in bed {i} record what they learn "
                  f"about {topics[(i + 3) % 8]} every {i % 7 + 2} days. Rotating crops through bed {i} keeps "
                  f"the {topics[(i + 5) % 8]} healthy." for i in range(n)]
    return "---\ntitle: Garden Log\n---\n\n# Garden Log\n\n" + "\n\n".join(paragraphs) + "\n"


def test_kill_9_during_ingest_keeps_the_previous_index_and_a_rerun_completes(small_corpus, tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(small_corpus), RAG_DATA_DIR=str(tmp_path / "data"), RAG_ONNX="false")
    assert rag("ingest", "-q", env=env).returncode == 0
    database = tmp_path / "data" / "chroma" / "chroma.sqlite3"
    (small_corpus / "garden-log.md").write_text(big_article(300), encoding="utf-8")
    size = database.stat().st_size
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", "-q"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while database.stat().st_size <= size + 64 * 1024 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)  # until the ingest has written part of its batches
    assert proc.poll() is None, "the ingest finished before it could be killed midway"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    reader = {**env, "RAG_AUTO_INGEST": "false"}
    old = ask_json("How often should I feed a sourdough starter?", reader)
    assert not old["refused"] and old["citations"][0]["source"] == "bread", "the previous index still answers"

    rerun = rag("ingest", env=env)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    embedded = int(rerun.stdout.split(";")[1].split()[0])
    assert 0 < embedded <= 300, rerun.stdout  # what the killed run had not committed (units go in before passages)
    new = ask_json("How often do gardeners record what they learn in bed 17?", reader)
    assert not new["refused"] and new["citations"][0]["source"] == "Garden Log"
    assert "0 passages embedded" in rag("ingest", env=env).stdout


@pytest.mark.parametrize("damage", ["truncate", "garbage", "remove-database"])
def test_a_damaged_data_folder_gives_a_clear_error_and_rebuild_repairs_it(small_corpus, tmp_path, damage):
    env = subprocess_env(RAG_CORPUS_DIR=str(small_corpus), RAG_DATA_DIR=str(tmp_path / "data"), RAG_ONNX="false")
    assert rag("ingest", "-q", env=env).returncode == 0
    database = tmp_path / "data" / "chroma" / "chroma.sqlite3"
    if damage == "truncate":
        with database.open("r+b") as f:
            f.truncate(database.stat().st_size // 2)
    elif damage == "garbage":
        with database.open("r+b") as f:
            f.seek(0)
            f.write(os.urandom(64 * 1024))
    else:
        database.unlink()
    broken = rag("ask", "--json", "How often should I feed a sourdough starter?", env={**env, "RAG_AUTO_INGEST": "false"})
    if damage == "remove-database":
        assert broken.returncode == 1 and "index is empty" in broken.stderr
    else:
        assert broken.returncode == 1 and "rag ingest --rebuild" in broken.stderr, broken.stderr[-2000:]
    assert "Traceback" not in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1, broken.stderr
    repaired = rag("ingest", "--rebuild", "-q", env=env)
    assert repaired.returncode == 0, repaired.stderr[-2000:]
    assert not ask_json("How often should I feed a sourdough starter?", env)["refused"]


def post(url: str, question: str, timeout: float = 60) -> tuple[int, dict]:
    request = urllib.request.Request(url + "/api/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("memory_index", ["true", "false"])
def test_a_stopped_chroma_server_keeps_the_app_up_and_it_recovers(small_corpus, tmp_path, memory_index):
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    chroma_port, app_port = free_port(), free_port()
    chroma_cmd = [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(chroma_port)]
    server, server_log = start_process(chroma_cmd, subprocess_env(), chroma_port, tmp_path / "chroma.log")
    env = subprocess_env(RAG_CORPUS_DIR=str(small_corpus), RAG_DATA_DIR=str(tmp_path / "data"), RAG_ONNX="false",
                         RAG_CHROMA_URL=f"http://127.0.0.1:{chroma_port}", RAG_PORT=str(app_port),
                         RAG_MEMORY_INDEX=memory_index)
    app, app_log = start_process([sys.executable, str(ROOT / "app.py")], env, app_port, tmp_path / "app.log")
    url, question = f"http://127.0.0.1:{app_port}", "How often should I feed a sourdough starter?"
    try:
        assert post(url, question)[0] == 200
        stop_process(server, server_log)
        status, body = post(url, question)
        if memory_index == "true":
            assert status == 200 and not body["refused"], "answers keep coming from memory"
        else:
            assert status == 503 and "Chroma server" in body["error"], body
        assert app.poll() is None, "the app stays up"
        with urllib.request.urlopen(url + "/", timeout=30) as page:
            assert page.status == 200
        server, server_log = start_process(chroma_cmd, subprocess_env(), chroma_port, tmp_path / "chroma2.log")
        status, body = post(url, question)
        assert status == 200 and not body["refused"], "it recovers when the server is back"
    finally:
        stop_process(app, app_log)
        stop_process(server, server_log)


def test_the_app_and_rag_eval_on_one_data_folder_corrupt_nothing(tmp_path, article_data):
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(article_data), RAG_ONNX="false")
    assert rag("ingest", "-q", env=env).returncode == 0
    port = free_port()
    app_env = {**env, "RAG_PORT": str(port), "RAG_API_RATE_LIMIT": "0"}
    app, app_log = start_process([sys.executable, str(ROOT / "app.py")], app_env, port, tmp_path / "app.log")
    try:
        evaluation = subprocess.Popen([sys.executable, "-m", "rag.cli", "eval", "--out", str(tmp_path / "out")],
                                      env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        statuses = []
        while evaluation.poll() is None and len(statuses) < 200:
            statuses.append(post(f"http://127.0.0.1:{port}", "How long does it take to build emotional intimacy?")[0])
        out, err = evaluation.communicate(timeout=600)
        assert evaluation.returncode == 0, err[-2000:]
        assert statuses and set(statuses) == {200}
    finally:
        stop_process(app, app_log)
    again = rag("ingest", env=env)
    assert again.returncode == 0 and "Index up to date: 72 passages" in again.stdout
    assert not ask_json("How long does it take to build emotional intimacy?", {**env, "RAG_AUTO_INGEST": "false"})["refused"]


def post_timed(url: str, question: str, timeout: float = 30) -> tuple[int, dict, float]:
    """(status, body, seconds); a reply that takes longer than `timeout` fails the test."""
    started = time.monotonic()
    try:
        status, body = post(url, question, timeout=timeout)
    except OSError as exc:  # socket.timeout / URLError: the app hung
        raise AssertionError(f"no reply within {timeout} s: {exc}") from exc
    return status, body, time.monotonic() - started


@pytest.mark.parametrize("memory_index", ["true", "false"])
def test_a_hung_chroma_server_never_hangs_the_app(small_corpus, tmp_path, memory_index):
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    chroma_port, app_port = free_port(), free_port()
    chroma_cmd = [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(chroma_port)]
    server, server_log = start_process(chroma_cmd, subprocess_env(), chroma_port, tmp_path / "chroma.log")
    env = subprocess_env(RAG_CORPUS_DIR=str(small_corpus), RAG_DATA_DIR=str(tmp_path / "data"), RAG_ONNX="false",
                         RAG_CHROMA_URL=f"http://127.0.0.1:{chroma_port}", RAG_PORT=str(app_port),
                         RAG_MEMORY_INDEX=memory_index, RAG_CHROMA_TIMEOUT="4", RAG_API_RATE_LIMIT="0")
    app, app_log = None, None
    url, question = f"http://127.0.0.1:{app_port}", "How often should I feed a sourdough starter?"
    try:
        app, app_log = start_process([sys.executable, str(ROOT / "app.py")], env, app_port, tmp_path / "app.log")
        assert post_timed(url, question)[0] == 200
        os.kill(server.pid, signal.SIGSTOP)  # the server hangs: connections open, nothing answers
        for _ in range(2):
            time.sleep(6)  # past the memory index's recheck interval (5 s): each question may trigger a check
            status, body, seconds = post_timed(url, question)
            if memory_index == "true":
                assert status == 200 and not body["refused"] and seconds < 3.5, (status, body, seconds)
            else:
                assert status == 503 and "Chroma server" in body["error"] and seconds < 4 + 6, (status, body, seconds)
        os.kill(server.pid, signal.SIGCONT)
        status, body, seconds = post_timed(url, question)
        assert status == 200 and not body["refused"], "it recovers when the server answers again"
        assert app.poll() is None
    finally:
        os.kill(server.pid, signal.SIGCONT)
        if app is not None:
            stop_process(app, app_log)
        stop_process(server, server_log)


def test_a_chroma_server_killed_during_ingest_gives_one_line(small_corpus, tmp_path):
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    chroma_port = free_port()
    chroma_cmd = [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(chroma_port)]
    server, server_log = start_process(chroma_cmd, subprocess_env(), chroma_port, tmp_path / "chroma.log")
    (small_corpus / "garden-log.md").write_text(big_article(600), encoding="utf-8")
    env = subprocess_env(RAG_CORPUS_DIR=str(small_corpus), RAG_DATA_DIR=str(tmp_path / "data"), RAG_ONNX="false",
                         RAG_CHROMA_URL=f"http://127.0.0.1:{chroma_port}", RAG_CHROMA_TIMEOUT="5")
    database = tmp_path / "server" / "chroma.sqlite3"
    try:
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", "-q"], env=env, cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        size = database.stat().st_size
        deadline = time.monotonic() + 120
        while database.stat().st_size <= size + 64 * 1024 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)  # until the ingest has written part of its batches
        assert proc.poll() is None, "the ingest finished before the server could be killed"
        server.kill()
        out, err = proc.communicate(timeout=120)
    finally:
        stop_process(server, server_log)
    assert proc.returncode == 1, err[-3000:]
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err[-3000:]
    assert err.startswith("rag: ") and "Chroma server" in err, err


def test_a_corpus_of_empty_files_keeps_the_old_index_answering(small_corpus, tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(small_corpus), RAG_DATA_DIR=str(tmp_path / "data"), RAG_ONNX="false")
    assert rag("ingest", "-q", env=env).returncode == 0
    for article in small_corpus.iterdir():
        article.write_text("", encoding="utf-8")
    done = rag("ask", "--json", "How often should I feed a sourdough starter?", env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert not json.loads(done.stdout)["refused"]
    warned = [line for line in done.stderr.splitlines() if "answering from the existing index" in line]
    assert len(warned) == 1 and str(small_corpus) in warned[0], done.stderr
