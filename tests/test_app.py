"""`python app.py` on an empty data folder builds the index, then serves a chat that answers with sources."""
from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest

from conftest import CORPUS, ROOT, free_port, subprocess_env, wait_for_port


@pytest.fixture(scope="module")
def served_app(tmp_path_factory):
    port = free_port()
    data = tmp_path_factory.mktemp("app-data")
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(data), RAG_PORT=str(port))
    log = open(data / "app.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc, timeout=180)
        yield f"http://127.0.0.1:{port}", data
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_page_is_served_on_loopback(served_app):
    url, data = served_app
    with urllib.request.urlopen(url + "/", timeout=30) as response:
        assert response.status == 200
        assert "gradio" in response.read().decode("utf-8", "replace").lower()
    assert (data / "chroma").is_dir(), "the missing index was built before serving"
    assert "Built index" in (data / "app.log").read_text()


def test_chat_answers_with_sources(served_app):
    from gradio_client import Client

    url, _ = served_app
    client = Client(url, verbose=False)
    reply = client.predict(message="How long does it take to build emotional intimacy?", api_name="/chat")
    text = reply if isinstance(reply, str) else str(reply)
    assert "There’s no fixed timeline. [1]" in text
    assert "**Sources**" in text and "[1] Emotional Intimacy in Relationships" in text
    assert "How long does it take to build emotional intimacy?</summary>" in text
    refused = client.predict(message="What is the capital of France?", api_name="/chat")
    assert "don't cover" in str(refused) and "Sources" not in str(refused)
