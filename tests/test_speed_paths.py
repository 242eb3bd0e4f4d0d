"""What makes answering fast, proven by behaviour: the ONNX model agrees with torch (also in length-sorted
batches), the CLI's ask path imports neither torch, gradio nor chromadb (it maps the index files), those
files answer as Chroma does and are not trusted once damaged, an unchanged re-ingest skips Chroma, an
edited article is seen by the next start, and the in-memory index follows an ingest made by another process."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conftest import CORPUS, ROOT, copy_index, subprocess_env


@pytest.mark.slow  # a second export (the session's index build exports once, checking the same agreement)
def test_onnx_export_gives_the_same_vectors_as_torch(embedder, assistant, tmp_path):
    from eval.evalset import load_eval_set
    from rag.onnx_model import OnnxEmbedder, export, onnx_path

    path = export(onnx_path(tmp_path), embedder)
    texts = [c.question for c in load_eval_set()] + [p.text for p in assistant.store.passages()]
    cosines = np.sum(OnnxEmbedder(path).encode(texts) * embedder.encode(texts), axis=1)
    assert cosines.min() >= 0.999, f"lowest agreement {cosines.min():.5f}"


def test_a_corrupt_onnx_file_falls_back_to_torch(tmp_path, capsys):
    from rag.embedder import Embedder
    from rag.onnx_model import onnx_path

    path = onnx_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    embedder = Embedder(1, tmp_path)
    assert embedder.encode(["hello"]).shape == (1, 384) and embedder.backend == "torch"
    assert "using torch" in capsys.readouterr().err


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, article_index):
    data = copy_index(article_index, tmp_path_factory.mktemp("speed") / "data")
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(data))
    done = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "-q"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert list((data / "onnx").glob("*.onnx")), "ingest leaves the ONNX export for later starts"
    return env


def _modules_after(code: str, env) -> list[str]:
    probe = (f"import sys\n{code}\n"
             "print(sorted(m for m in ('torch', 'gradio', 'sentence_transformers', 'transformers', 'llama_index',"
             " 'chromadb', 'fastapi') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return eval(done.stdout.strip().splitlines()[-1])


def test_asking_from_the_cli_imports_neither_torch_nor_gradio_nor_chromadb(ingested):
    loaded = _modules_after("from rag.cli import main; main(['ask', '--json', 'How long does it take to build "
                            "emotional intimacy?'])", ingested)
    assert loaded == [], loaded


def test_an_unchanged_reingest_does_not_open_chroma(ingested):
    loaded = _modules_after("from rag.cli import main; main(['ingest', '-q'])", ingested)
    assert loaded == [], loaded


def test_the_memory_index_follows_an_ingest_by_another_process(small_corpus, model_data, monkeypatch):
    import rag.vector_cache
    from rag.assistant import Assistant
    from rag.settings import Settings

    settings = Settings(corpus_dir=small_corpus, data_dir=model_data)  # the session's ONNX export: no torch to load
    reader = Assistant.load(settings, quiet=True)
    question = "How often should bicycle brake pads be replaced?"
    assert reader.ask(question).refused
    (small_corpus / "brakes.md").write_text("# Brakes\n\nReplace bicycle brake pads every 2,000 kilometres, "
                                            "or sooner when the grooves are worn away.\n", encoding="utf-8")
    env = subprocess_env(RAG_CORPUS_DIR=str(small_corpus), RAG_DATA_DIR=str(settings.data_dir))
    done = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "-q"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    monkeypatch.setattr(rag.vector_cache, "RECHECK_SECONDS", 0.0)
    answer = reader.ask(question)
    assert not answer.refused and "2,000 kilometres" in answer.text


def test_length_sorted_batches_give_each_text_its_own_vector(tmp_path, embedder):
    from rag.onnx_model import OnnxEmbedder, export, onnx_path

    model = OnnxEmbedder(export(onnx_path(tmp_path), embedder))
    texts = ["short", "a somewhat longer sentence about bread", "word " * 400, "", "mid length text " * 8, "x"]
    together = model.encode(texts, batch_size=2)
    alone = np.vstack([model.encode([t]) for t in texts])
    assert np.min(np.sum(together * alone, axis=1)) >= 0.9999


def _settings_of(env):
    from rag.settings import Settings

    return Settings(corpus_dir=CORPUS, data_dir=env["RAG_DATA_DIR"])


def test_the_index_files_answer_as_chroma_does(ingested, embedder):
    from rag.store import PassageStore
    from rag.vector_cache import VectorCache

    store = PassageStore(_settings_of(ingested))
    files = VectorCache.from_files(store)
    assert files is not None and files.source == "files"
    chroma = VectorCache(store, snapshot=files._read())  # the same index read back from Chroma
    assert chroma.source == "chroma"
    a, b = files._snapshot.arrays, chroma._snapshot.arrays
    assert [p.id for p in a.passages] == [p.id for p in b.passages] and a.passages == b.passages
    assert np.allclose(a.matrix, b.matrix, atol=1e-6) and np.allclose(a.sentences, b.sentences, atol=1e-6)
    assert list(a.sentence_counts) == list(b.sentence_counts) and a.heading_texts == b.heading_texts
    for question in ("How long does it take to build emotional intimacy?", "What are the types of intimacy?"):
        vector = embedder.encode([question])[0]
        assert [h.passage.id for h in files.query(vector, 10)] == [h.passage.id for h in chroma.query(vector, 10)]
        units, again = files.query_units(vector, 40), chroma.query_units(vector, 40)
        assert [u[:2] for u in units] == [u[:2] for u in again]
        assert np.allclose([u[2] for u in units], [u[2] for u in again], atol=1e-5)
        ids = list(dict.fromkeys(pid for pid, _, _ in units))
        mine, theirs = files.vectors(ids), store.vectors(ids)  # and as the store answers without memory
        assert mine[0].keys() == theirs[0].keys()
        key = lambda u: (u[0], u[1], u[2])  # noqa: E731
        assert sorted(map(key, mine[1])) == sorted(map(key, theirs[1]))
        by_key = {key(u): u[3] for u in theirs[1]}
        assert all(np.allclose(u[3], by_key[key(u)], atol=1e-6) for u in mine[1])


def test_damaged_index_files_are_not_trusted(ingested, tmp_path, caplog):
    import json
    import shutil

    from rag.assistant import Assistant
    from rag.stamp import STAMP

    question = "How long does it take to build emotional intimacy?"
    data = tmp_path / "data"
    shutil.copytree(ingested["RAG_DATA_DIR"], data)
    settings = _settings_of({"RAG_DATA_DIR": str(data)})
    expected = Assistant.load(settings, quiet=True).ask(question)
    folder = data / json.loads((data / STAMP).read_text())["index_files"]
    with open(folder / "passages.npy", "r+b") as f:
        f.truncate(1000)  # a file cut short
    again = Assistant.load(settings, quiet=True)
    assert again.retriever.store.source == "chroma" and "reading the index from Chroma" in caplog.text
    assert again.ask(question) == expected
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["info"]["corpus_digest"] = "0" * 64  # files written from another index than the one the stamp vouches for
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert Assistant.load(settings, quiet=True).retriever.store.source == "chroma"


@pytest.mark.slow  # three processes: ingest, edit, cold ask
def test_a_cold_ask_sees_an_article_edited_since_the_ingest(tmp_path):
    import shutil

    corpus, data = tmp_path / "corpus", tmp_path / "data"
    shutil.copytree(CORPUS, corpus)
    env = subprocess_env(RAG_CORPUS_DIR=str(corpus), RAG_DATA_DIR=str(data), RAG_ONNX="false")
    ask = [sys.executable, "-m", "rag.cli", "ask", "--json", "How often should bicycle brake pads be replaced?"]
    first = subprocess.run(ask, env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert first.returncode == 0 and '"refused": true' in first.stdout, first.stderr[-2000:]
    article = next(corpus.glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\n## Brakes\n\nReplace bicycle brake pads every "
                       "2,000 kilometres, or sooner when the grooves are worn away.\n", encoding="utf-8")
    second = subprocess.run(ask, env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "Updated index" in second.stderr and "2,000 kilometres" in second.stdout
