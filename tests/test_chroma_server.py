"""The same code ingests and answers through a Chroma server (`chroma run` on 127.0.0.1)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import free_port, wait_for_port
from rag.assistant import Assistant
from rag.ingest import ingest
from rag.settings import Settings
from rag.store import PassageStore, StoreError


@pytest.fixture
def chroma_server(tmp_path):
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ingest_and_ask_through_a_chroma_server(chroma_server, small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "unused", chroma_url=chroma_server)
    first = ingest(settings, store=PassageStore(settings), embedder=embedder, progress=False)
    assert first.embedded == first.passages == 8
    again = ingest(settings, store=PassageStore(settings), embedder=embedder, progress=False)
    assert again.embedded == 0
    assert not (tmp_path / "unused" / "chroma").exists(), "nothing was written to the local data folder"

    assistant = Assistant(settings, PassageStore(settings), embedder)
    answer = assistant.ask("How many hours of sunlight do tomatoes need?")
    assert not answer.refused
    assert answer.citations[0].text.startswith("Tomatoes need at least six hours")


def test_unreachable_server_is_a_clear_error(tmp_path):
    settings = Settings(corpus_dir=tmp_path, data_dir=tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreError, match="cannot"):
        PassageStore(settings).count()


def test_a_rebuild_through_a_server_replaces_the_collections(chroma_server, small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", chroma_url=chroma_server)
    reader = PassageStore(settings)
    ingest(settings, store=PassageStore(settings), embedder=embedder, progress=False)
    rebuilt = ingest(settings, embedder=embedder, rebuild=True, progress=False)
    assert rebuilt.rebuilt and rebuilt.embedded == rebuilt.passages == 8
    names = sorted(getattr(c, "name", c) for c in reader.client.list_collections())
    assert names == ["passages", "passages-units"], names
    assert reader.fresh_info()["corpus_digest"] and reader.count() == 8
    answer = Assistant(settings, PassageStore(settings), embedder).ask("How many hours of sunlight do tomatoes need?")
    assert answer.citations[0].text.startswith("Tomatoes need at least six hours")
