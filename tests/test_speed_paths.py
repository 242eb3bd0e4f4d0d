"""What makes answering fast, proven by behaviour: the ONNX model agrees with torch, the CLI's ask path
imports neither torch nor gradio, an unchanged re-ingest skips Chroma, and the in-memory index follows
an ingest made by another process."""
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


def test_asking_from_the_cli_imports_neither_torch_nor_gradio(ingested):
    loaded = _modules_after("from rag.cli import main; main(['ask', '--json', 'How long does it take to build "
                            "emotional intimacy?'])", ingested)
    assert loaded == ["chromadb"], loaded


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
