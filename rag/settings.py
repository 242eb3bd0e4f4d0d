"""Every knob of rag in one object, read from RAG_* environment variables with working defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

# Offline and quiet by default; set before chromadb, gradio or huggingface are imported.
# One BLAS thread: numpy's OpenBLAS with two threads on two busy cores made one 5,000 x 384
# matrix-vector product 27x slower here (24 ms against 0.9 ms); it must be set before numpy loads.
for _name, _value in {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
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
    torch_threads: int = 1  # threads for the model (torch or onnxruntime); two on two busy cores measured 25x slower
    memory_index: bool = True  # answer from an in-memory copy of the index, reloaded when an ingest changes it
    onnx: bool = True  # embed through the model's ONNX export in data_dir (written once at ingest); false = torch
    top_k: int = 6  # passages retrieved per question
    keyword_weight: float = 0.5  # weight of the BM25 ranking against the dense one in fusion; 0 = dense only
    passage_weight: float = 0.4  # dense score: weight of the cosine to the whole passage
    sentence_weight: float = 0.4  # dense score: weight of the best cosine to one of its sentences
    heading_weight: float = 0.2  # dense score: weight of the cosine to its nearest heading
    long_question_focus: bool = True  # questions over 400 characters: also search their asking sentences
    correct_typos: bool = True  # replace question words unknown to the corpus and to English by a close corpus word
    # Answerability: answer when answer_bias + Σ answer_<feature>_weight·feature ≥ 0, over the features of
    # rag/answerability.py: top (best dense score), agreement (share of the dense ranking's best 5 passages the
    # BM25 ranking also puts in its best 5), coverage (share of the question's words the corpus knows, each
    # weighted by its rarity in English). `python -m eval.calibrate --write` refits them on the dev cases of
    # every corpus of eval/corpora.toml and shifts the decision until each corpus, judged by a model fitted
    # without it, answers the floor share of its answerable dev questions (leave-one-corpus-out).
    # Fitted on: dev cases of home, python-faq, sqlite, debian-reference, git; features top, agreement; answered floor 95%
    answer_bias: float = -5.394  # intercept of the answerability decision
    answer_top_weight: float = 11.503  # weight of the best passage score
    answer_agreement_weight: float = 3.407  # weight of the agreement of the keyword and dense rankings
    answer_coverage_weight: float = 0.000  # weight of rarity-weighted coverage; 0 = not weighed (no measured gain)
    max_citations: int = 3  # passages an answer may cite
    max_sentences: int = 5  # sentences in an answer
    answer_by_part: bool = True  # a multi-part question ("why X, and how Y?") is answered part by part
    max_question_chars: int = 4000  # longer questions are rejected before retrieval
    # Generative mode (off unless both are set): an OpenAI-compatible endpoint writes the answer from
    # the retrieved passages; a post-check drops every sentence its cited passage does not support.
    llm_base_url: str = ""  # e.g. http://localhost:11434/v1 (Ollama), http://localhost:8080/v1 (llama.cpp server)
    llm_model: str = ""  # the model name the endpoint knows, e.g. llama3.2
    llm_api_key: str = ""  # sent as the bearer token; most local servers ignore it
    llm_timeout: float = 60.0  # seconds to wait for the endpoint before falling back to the extractive answer
    llm_passages: int = 4  # retrieved passages given to the model, numbered [1]..[n]
    llm_max_tokens: int = 400  # longest answer the model may write
    # Post-check: keep a sentence when cosine to its cited passage + weight × its word coverage ≥ threshold
    # (and it states no number or name the passage lacks). Fitted by `python -m eval.calibrate_support`.
    llm_support_threshold: float = 0.848
    llm_support_coverage_weight: float = 0.5
    host: str = "127.0.0.1"  # the web chat binds here; loopback unless told otherwise
    port: int = 7860  # the web chat's port
    api_rate_limit: int = 60  # questions per minute one client address may send to /api/ask; 0 = no limit
    auth: str = ""  # "user:password": the chat and the API ask for these (HTTP basic auth); empty = open
    auto_ingest: bool = True  # Assistant.load() builds the index when it is missing or stale

    def __post_init__(self) -> None:
        for f in fields(self):  # accept plain strings for folders
            if isinstance(f.default, Path) and not isinstance(getattr(self, f.name), Path):
                object.__setattr__(self, f.name, Path(getattr(self, f.name)))

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
