"""Every knob of rag in one object, read from RAG_* environment variables with working defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

# Offline and quiet by default; set before chromadb, gradio or huggingface are imported.
for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}.items():
    os.environ.setdefault(_name, _value)


@dataclass(frozen=True)
class Settings:
    """Configuration; each field can be set with the environment variable RAG_<FIELD> (upper case)."""

    corpus_dir: Path = Path("corpus")  # folder of .md/.txt/.html articles
    data_dir: Path = Path(".rag")  # where the Chroma index lives (git-ignored)
    chroma_url: str = ""  # http://host:port of a Chroma server; empty = local PersistentClient
    collection: str = "passages"  # Chroma collection name
    torch_threads: int = 1  # two threads on two busy cores measured 25x slower
    top_k: int = 6  # passages retrieved per question
    keyword_weight: float = 0.5  # weight of the BM25 ranking against the dense one in fusion; 0 = dense only
    min_score: float = 0.38  # best cosine below this → refuse
    max_citations: int = 3  # passages an answer may cite
    max_sentences: int = 4  # sentences in an answer
    max_question_chars: int = 4000  # longer questions are rejected before retrieval
    host: str = "127.0.0.1"  # the web chat binds here; loopback unless told otherwise
    port: int = 7860  # the web chat's port
    auto_ingest: bool = True  # Assistant.load() builds the index when it is missing or stale

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"RAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            kind = type(f.default)
            if kind is bool:
                values[f.name] = raw.strip().lower() in {"1", "true", "yes", "on"}
            elif kind is Path:
                values[f.name] = Path(raw)
            else:
                values[f.name] = kind(raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
