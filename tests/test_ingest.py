"""Content-hash ingest into a real Chroma: unchanged embeds nothing, edits embed only what changed, an interrupted
ingest resumes."""
from __future__ import annotations

import re

import pytest

from rag.ingest import index_info, ingest
from rag.passages import split_corpus
from rag.corpus import load_corpus
from rag.settings import Settings
from rag.store import PassageStore


def _ingest(settings, embedder):
    return ingest(settings, store=PassageStore(settings), embedder=embedder, progress=False)


def test_reingest_embeds_only_changes(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    total = len(split_corpus(load_corpus(small_corpus)))

    first = _ingest(settings, embedder)
    assert (first.documents, first.passages, first.embedded, first.deleted) == (3, total, total, 0)

    again = _ingest(settings, embedder)
    assert (again.embedded, again.moved, again.deleted) == (0, 0, 0)
    assert "0 passages embedded" in again.summary()

    garden = small_corpus / "gardening.md"
    garden.write_text(garden.read_text().replace("six hours", "eight hours"), encoding="utf-8")
    edited = _ingest(settings, embedder)
    assert (edited.embedded, edited.deleted) == (1, 1)  # only the edited paragraph

    (small_corpus / "bikes.html").unlink()
    removed = _ingest(settings, embedder)
    assert removed.embedded == 0 and removed.deleted == 3
    stored = PassageStore(settings).stored()
    assert len(stored) == removed.passages
    assert {m["doc_id"] for m in stored.values()} == {"gardening.md", "bread.txt"}


def test_moved_passages_update_spans_without_embedding(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    _ingest(settings, embedder)
    bread = small_corpus / "bread.txt"
    bread.write_text("\n\n\n" + bread.read_text(), encoding="utf-8")
    report = _ingest(settings, embedder)
    assert report.embedded == 0 and report.moved == 2  # both bread passages shifted by 3 characters
    doc = next(d for d in load_corpus(small_corpus) if d.doc_id == "bread.txt")
    for meta in PassageStore(settings).stored().values():
        if meta["doc_id"] == "bread.txt":
            assert doc.text[meta["start"]:meta["end"]].strip()
            assert meta["start"] >= 3


def test_chunking_or_model_mismatch_rebuilds(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    first = _ingest(settings, embedder)
    store = PassageStore(settings)
    store.set_info({**store.info, "chunking": "some-older-version"})
    rebuilt = _ingest(settings, embedder)
    assert rebuilt.rebuilt and rebuilt.embedded == first.passages
    assert PassageStore(settings).info["chunking"] == index_info(embedder.model_id)["chunking"]


def test_rebuild_flag_embeds_everything(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    first = _ingest(settings, embedder)
    again = ingest(settings, store=PassageStore(settings), embedder=embedder, rebuild=True, progress=False)
    assert again.rebuilt and again.embedded == first.passages
    assert PassageStore(settings).count() == first.passages


class Interrupted(BaseException):
    """What Ctrl-C (or a kill) does to an ingest midway, raised from inside its writes."""


def _interrupt_after(monkeypatch, chunks: int) -> None:
    """Make the ingest stop, as if interrupted, when it starts writing the passages of chunk `chunks` + 1."""
    calls = []
    real = PassageStore.upsert

    def upsert(self, passages, embeddings):
        calls.append(len(passages))
        if len(calls) > chunks:
            raise Interrupted()
        real(self, passages, embeddings)

    monkeypatch.setattr(PassageStore, "upsert", upsert)


def test_an_interrupted_ingest_resumes_where_it_stopped(small_corpus, tmp_path, embedder, monkeypatch):
    import rag.ingest

    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    total = len(split_corpus(load_corpus(small_corpus)))
    monkeypatch.setattr(rag.ingest, "CHUNK", 3)
    with monkeypatch.context() as m:
        _interrupt_after(m, 1)
        with pytest.raises(Interrupted):
            _ingest(settings, embedder)
    assert not PassageStore(settings).complete, "an interrupted first build is not answered from"
    report = _ingest(settings, embedder)
    assert not report.rebuilt and report.embedded == total - 3, "only the passages of the unfinished chunks"
    assert PassageStore(settings).complete and PassageStore(settings).count() == total


def test_an_interrupted_rebuild_resumes_in_its_folder(small_corpus, tmp_path, embedder, monkeypatch):
    import rag.ingest

    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    first = _ingest(settings, embedder)
    live = PassageStore(settings).folder
    monkeypatch.setattr(rag.ingest, "CHUNK", 3)
    with monkeypatch.context() as m:
        _interrupt_after(m, 2)
        with pytest.raises(Interrupted):
            ingest(settings, embedder=embedder, rebuild=True, progress=False)
    assert PassageStore(settings).folder == live and PassageStore(settings).complete, "the old index still answers"
    again = ingest(settings, embedder=embedder, rebuild=True, progress=False)
    assert again.rebuilt and again.embedded == first.passages - 6
    assert PassageStore(settings).folder != live and not live.exists()
    assert PassageStore(settings).count() == first.passages


@pytest.mark.slow  # kills an ingest process midway
def test_a_killed_ingest_resumes_where_it_stopped(tmp_path):
    """End to end: `rag ingest` killed (SIGKILL) after two chunks; the next `rag ingest` embeds only the rest."""
    import signal
    import subprocess
    import sys

    from conftest import CORPUS, ROOT, subprocess_env

    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(tmp_path / "data"))
    killed = ("import os, signal, rag.ingest, rag.store\n"
              "rag.ingest.CHUNK = 16\n"
              "calls = []\n"
              "real = rag.store.PassageStore.upsert\n"
              "def upsert(self, passages, embeddings):\n"
              "    calls.append(1)\n"
              "    if len(calls) > 2:\n"
              "        os.kill(os.getpid(), signal.SIGKILL)\n"
              "    real(self, passages, embeddings)\n"
              "rag.store.PassageStore.upsert = upsert\n"
              "from rag.cli import main\n"
              "main(['ingest', '-q'])\n")
    done = subprocess.run([sys.executable, "-c", killed], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    total = len(split_corpus(load_corpus(CORPUS)))
    resumed = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "-q"], env=env, capture_output=True, text=True,
                             timeout=600, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{total - 32} embedded" in resumed.stdout, resumed.stdout


def test_each_text_is_embedded_once_per_ingest(small_corpus, tmp_path, embedder, monkeypatch):
    """A section's passages share one heading vector, however many chunks they fall into."""
    import rag.ingest

    for n in range(12):  # twelve passages under one heading
        (small_corpus / f"faq-{n:02}.md").write_text(f"# Care\n\nTip {n}: keep the chain {n} clean and dry.\n",
                                                    encoding="utf-8")
    monkeypatch.setattr(rag.ingest, "CHUNK", 4)
    embedded: list[str] = []
    real = embedder.encode

    def encode(texts, batch_size=32):
        embedded.extend(texts)
        return real(texts, batch_size=batch_size)

    monkeypatch.setattr(embedder, "encode", encode)
    _ingest(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data"), embedder)
    assert embedded.count("Care") == 1
    assert len(embedded) == len(set(embedded)), [t for t in set(embedded) if embedded.count(t) > 1]


def test_a_changed_file_is_the_only_one_read_again(small_corpus, tmp_path, embedder, monkeypatch):
    import rag.corpus

    for n in range(5):
        (small_corpus / f"page-{n}.html").write_text(f"<h1>Page {n}</h1><p>Paragraph {n} of the pages.</p>",
                                                    encoding="utf-8")
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    _ingest(settings, embedder)
    read: list[str] = []
    real = rag.corpus.load_document
    monkeypatch.setattr(rag.corpus, "load_document", lambda path, *a, **k: read.append(path.name) or real(path, *a, **k))
    page = small_corpus / "page-3.html"
    page.write_text(page.read_text(encoding="utf-8").replace("Paragraph 3", "Paragraph three"), encoding="utf-8")
    report = _ingest(settings, embedder)
    assert read == ["page-3.html"]
    assert (report.documents, report.embedded, report.deleted) == (8, 1, 1)
    assert any("Paragraph three" in p.text for p in PassageStore(settings).passages())


def test_the_progress_bar_shows_the_rate_and_the_time_left(small_corpus, tmp_path, embedder, capsys):
    ingest(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data"), store=None, embedder=embedder,
           progress=True)
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert re.search(r"Embedding passages and sentences: 100%\|.*\| (\d+)/\1 \[\d\d:\d\d elapsed, "
                     r"about \d\d:\d\d left, [\d.]+ texts/s\]", bar), bar


def test_a_rebuild_swaps_in_a_new_folder_and_removes_the_old(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    reader = PassageStore(settings)
    _ingest(settings, embedder)
    old = reader.folder
    ingest(settings, embedder=embedder, rebuild=True, progress=False)
    assert not old.exists() and PassageStore(settings).folder != old
    assert reader.count() == len(split_corpus(load_corpus(small_corpus))), "a reader follows the swap"
    assert reader.folder == PassageStore(settings).folder


def test_the_next_ingest_removes_a_killed_rebuilds_folder(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    _ingest(settings, embedder)
    abandoned = settings.data_dir / "chroma-0badcafe"
    (abandoned / "leftover").mkdir(parents=True)
    (small_corpus / "bread.txt").write_text("Rye bread needs a long, cool proof.\n", encoding="utf-8")
    _ingest(settings, embedder)
    assert not abandoned.exists() and (settings.data_dir / "chroma").is_dir()


def test_a_first_ingest_exports_the_onnx_model_first_and_embeds_through_it(small_corpus, tmp_path, monkeypatch):
    """The export is made on a first ingest anyway; made first, the passages are embedded by the faster ONNX model."""
    from rag.embedder import Embedder
    from rag.onnx_model import OnnxEmbedder

    embedded: list[str] = []
    real = OnnxEmbedder.encode
    monkeypatch.setattr(OnnxEmbedder, "encode", lambda self, texts, batch_size=32: embedded.extend(texts) or
                        real(self, texts, batch_size=batch_size))
    data = tmp_path / "data"
    report = ingest(Settings(corpus_dir=small_corpus, data_dir=data), embedder=Embedder(1, data), progress=False)
    assert report.embedded == report.passages > 0
    texts = {p.embedding_text() for p in split_corpus(load_corpus(small_corpus))}
    assert texts <= set(embedded), "every passage went through the ONNX model"


def test_worker_processes_embed_as_the_ingest_itself_does(small_corpus, tmp_path, embedder, monkeypatch):
    """RAG_INGEST_WORKERS=2: chunks are embedded by two worker processes, and the stored vectors are the model's."""
    import numpy as np

    import rag.ingest
    from rag.embed_workers import EmbeddingWorkers
    from rag.embedder import Embedder
    from rag.onnx_model import export, onnx_path

    data = tmp_path / "data"
    export(onnx_path(data), embedder)
    submitted = []
    real = EmbeddingWorkers.submit
    monkeypatch.setattr(EmbeddingWorkers, "submit", lambda self, texts: submitted.append(len(texts)) or real(self, texts))
    monkeypatch.setattr(rag.ingest, "CHUNK", 3)
    settings = Settings(corpus_dir=small_corpus, data_dir=data, ingest_workers=2)
    report = ingest(settings, embedder=Embedder(1, data), progress=False)
    assert report.embedded == report.passages and len(submitted) >= 3, submitted
    stored = PassageStore(settings).collection().get(include=["embeddings", "documents"])
    by_id = {p.id: p for p in split_corpus(load_corpus(small_corpus))}
    expected = embedder.encode([by_id[i].embedding_text() for i in stored["ids"]])
    assert np.min(np.sum(np.asarray(stored["embeddings"]) * expected, axis=1)) >= 0.999
