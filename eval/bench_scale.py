"""One point of the scaling curve, each half in its own process so that its memory is its own.

    python -m eval.bench_scale build --size N --data DIR   → builds DIR/bench/index-N once; prints {"ingest_per_s"}
    python -m eval.bench_scale serve --size N --data DIR   → asks the eval questions; prints {"p50_ms", "p95_ms", "rss_mb"}

The built index is kept, so repeating the curve costs only the serving half.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

CHROMA_BATCH = 5000  # below Chroma's maximum batch size


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def index_dir(data: Path, size: int) -> Path:
    return data / "bench" / f"index-{size}"


def build(size: int, data: Path) -> dict:
    from rag.corpus import load_corpus
    from rag.embedder import Embedder
    from rag.passages import split_corpus
    from rag.settings import Settings
    from rag.store import PassageStore
    from rag.vector_cache import VectorCache

    from .synthetic import passage_vectors, pool_vectors, pools, synthetic, units_of

    folder = index_dir(data, size)
    done = folder / "built.json"
    if done.exists():
        return json.loads(done.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    base = Settings.from_env(data_dir=data)
    embedder = Embedder(base.torch_threads, base.data_dir if base.onnx else None)
    sentences, headings = pools(split_corpus(load_corpus(base.corpus_dir)))
    passages, picks, heads = synthetic(size, sentences, headings)
    pool = pool_vectors(sentences + headings, embedder, data / "bench")
    vectors = passage_vectors(picks, pool[: len(sentences)])
    by_text = dict(zip(sentences + headings, pool))
    units = units_of(passages, picks, heads, sentences, headings)

    store = PassageStore(Settings.from_env(data_dir=folder, collection="bench", chroma_url=""))
    started = time.perf_counter()
    for i in range(0, len(units), CHROMA_BATCH):
        batch = units[i:i + CHROMA_BATCH]
        store.upsert_units(batch, np.array([by_text[u.text] for u in batch]))
    for i in range(0, len(passages), CHROMA_BATCH):
        store.upsert(passages[i:i + CHROMA_BATCH], vectors[i:i + CHROMA_BATCH])
    store.set_info({"model": embedder.model_id, "corpus_digest": f"synthetic-{size}"})
    VectorCache(store)  # reading it back is part of making the index answerable
    result = {"passages": size, "vectors": len(units) + size,
              "ingest_per_s": round(size / (time.perf_counter() - started), 1)}
    done.write_text(json.dumps(result))
    return result


def serve(size: int, data: Path) -> dict:
    from rag.assistant import Assistant
    from rag.embedder import Embedder
    from rag.settings import Settings
    from rag.store import PassageStore
    from rag.vector_cache import VectorCache

    from .evalset import load_eval_set

    base = Settings.from_env(data_dir=data)
    settings = Settings.from_env(data_dir=index_dir(data, size), collection="bench", chroma_url="")
    store = PassageStore(settings)
    assistant = Assistant(settings, store, Embedder(base.torch_threads, base.data_dir if base.onnx else None))
    assistant.retriever.store = VectorCache(store)
    questions = [c.question for c in load_eval_set()]
    for q in questions[:5]:
        assistant.ask(q)
    times = []
    for q in questions * 2:
        started = time.perf_counter()
        assistant.ask(q)
        times.append((time.perf_counter() - started) * 1000)
    return {"passages": size, "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2), "rss_mb": round(peak_rss_mb(), 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_scale")
    parser.add_argument("step", choices=("build", "serve"))
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True, help="data folder with the ONNX model; bench/ goes here")
    args = parser.parse_args(argv)
    print(json.dumps((build if args.step == "build" else serve)(args.size, args.data)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
