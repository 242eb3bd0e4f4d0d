"""Embedding worker processes for a large ingest: each runs the ONNX model on one thread.

Processes rather than threads: two onnxruntime threads in one process spin-wait on each other
and were measured 25x slower on two busy cores, and Chroma's writes hold the GIL for seconds,
which stalls any thread that embeds beside them. Each worker takes whole chunks; the ingest
writes chunk n to Chroma while the workers embed the chunks after it.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import numpy as np

_model = None  # the worker's model, loaded once when the worker starts


def _start(path: str) -> None:
    global _model
    from . import settings  # noqa: F401  (sets the one-thread BLAS and offline variables before numpy loads)
    from .onnx_model import OnnxEmbedder

    _model = OnnxEmbedder(Path(path), 1)


def _encode(texts: list[str]) -> np.ndarray:
    return _model.encode(texts, batch_size=64)


class EmbeddingWorkers:
    """`workers` processes embedding lists of texts; submit() returns a Future of their vectors."""

    def __init__(self, model_path: Path, workers: int) -> None:
        self.workers = workers
        # spawn: a fork of a process holding Chroma's and onnxruntime's threads may deadlock
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start, initargs=(str(model_path),))

    def submit(self, texts: list[str]) -> Future:
        return self._pool.submit(_encode, texts)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "EmbeddingWorkers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
