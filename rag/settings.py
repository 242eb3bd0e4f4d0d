"""Every knob of rag in one object, read from RAG_* environment variables with working defaults, and checked."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import NamedTuple

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


class SettingsError(ValueError):
    """A setting given a value it cannot take; the message names the variable (or flag) and what it must be."""

    def __init__(self, field: str, requirement: str, value: object = None, label: str = "", *,
                 show_value: bool = True) -> None:
        self.field, self.requirement, self.value, self.show_value = field, requirement, value, show_value
        self.label = label or f"RAG_{field.upper()}"
        super().__init__(f"{self.label} must {requirement}" + (f", got {value!r}" if show_value else ""))

    def relabeled(self, label: str) -> "SettingsError":
        """The same error naming `label` (e.g. the command-line flag the value came from)."""
        return SettingsError(self.field, self.requirement, self.value, label, show_value=self.show_value)


class Range(NamedTuple):
    """The values a numeric setting may take: low ≤ value ≤ high (low < value when `above`); None = no bound."""

    low: float | None = None
    high: float | None = None
    above: bool = False

    def allows(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.above else value < self.low):
            return False
        return self.high is None or value <= self.high

    def describe(self, kind: type) -> str:
        noun = "an integer" if kind is int else "a number"
        if self.low is not None and self.high is not None:
            return f"{noun} from {self.low} to {self.high}"
        if self.low is not None:
            return f"{noun} {'above' if self.above else 'of at least'} {self.low}"
        if self.high is not None:
            return f"{noun} of at most {self.high}"
        return noun if kind is int else "a finite number"


# The range of every numeric setting, checked in Settings.__post_init__ (so values from the environment, the
# constructor, dataclasses.replace and command-line flags all are). A numeric field not listed takes any finite value.
RANGES: dict[str, Range] = {
    "max_file_bytes": Range(1),
    "max_files": Range(1),
    "torch_threads": Range(1),
    "ingest_workers": Range(1, 64),
    "top_k": Range(1),
    "keyword_weight": Range(0),
    "passage_weight": Range(0),
    "sentence_weight": Range(0),
    "heading_weight": Range(0),
    "max_citations": Range(1),
    "max_sentences": Range(1),
    "max_question_chars": Range(1),
    "llm_timeout": Range(0, above=True),
    "llm_passages": Range(1),
    "llm_max_tokens": Range(1),
    "llm_support_coverage_weight": Range(0),
    "port": Range(1, 65535),
    "api_rate_limit": Range(0),
    "max_body_bytes": Range(0),
    "chroma_timeout": Range(0, above=True),
    "ingest_wait": Range(0),
    "feedback_max_bytes": Range(0),
    "feedback_per_minute": Range(0),
}

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Configuration; each field can be set with the environment variable RAG_<FIELD> (upper case)."""

    corpus_dir: Path = Path("corpus")  # folder of .md/.txt/.html articles
    max_file_bytes: int = 2_000_000  # a larger article file is skipped with a warning (20 MB took hours to ingest)
    max_files: int = 20_000  # a corpus folder with more article files than this is refused
    data_dir: Path = Path(".rag")  # where the Chroma index lives (git-ignored)
    chroma_url: str = ""  # http://host:port of a Chroma server; empty = local PersistentClient
    chroma_timeout: float = 10.0  # seconds one call to the Chroma server may take before it counts as not answering
    collection: str = "passages"  # Chroma collection name
    torch_threads: int = 1  # threads for the model (torch or onnxruntime); two on two busy cores measured 25x slower
    ingest_workers: int = 1  # processes embedding a large ingest (ONNX, one thread each); 1 = the ingest itself
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
    # Fitted on: dev cases of home, python-faq, sqlite, debian-reference, git; features top; answered floor 95%
    answer_bias: float = -5.132  # intercept of the answerability decision
    answer_top_weight: float = 13.344  # weight of the best passage score
    answer_agreement_weight: float = 0.000  # weight of the agreement of the keyword and dense rankings
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
    api_rate_limit: int = 60  # questions per minute one client address may ask (chat, its API, /api/ask); 0 = none
    max_body_bytes: int = 65536  # largest request body any route reads (a bigger one gets 413 unread); 0 = no limit
    trusted_proxies: str = ""  # comma-separated proxy addresses whose X-Forwarded-For is believed; empty = none
    allowed_hosts: str = ""  # comma-separated Host names served besides loopback ("*.example.org"; "*" = any)
    auth: str = ""  # "user:password": the chat and the API ask for these (HTTP basic auth); empty = open
    cors_origins: str = ""  # comma-separated origins (https://blog.example.org) whose pages may call the API; "*" = any
    auto_ingest: bool = True  # Assistant.load() builds the index when it is missing or stale
    feedback_max_bytes: int = 10_000_000  # the 👍/👎 log stops taking entries at this size, with a warning
    feedback_per_minute: int = 60  # 👍/👎 entries a process writes per minute at most, the rest dropped; 0 = no limit
    ingest_wait: float = 600.0  # seconds an ingest waits for another one writing the same data folder, then gives up

    def __post_init__(self) -> None:
        """Turn strings (from the environment or flags) into each field's type; SettingsError for what cannot be."""
        for f in fields(self):
            object.__setattr__(self, f.name, coerce(f.name, f.default, getattr(self, f.name)))
        user, colon, password = self.auth.partition(":")
        if self.auth and not (colon and user.strip() and password):
            raise SettingsError("auth", 'look like "user:password", with a non-empty user and password',
                                show_value=False)  # never echo a secret

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Settings from RAG_<FIELD> variables (empty = default), then `overrides` that are not None."""
        values = {f.name: os.environ[f"RAG_{f.name.upper()}"] for f in fields(cls)
                  if os.environ.get(f"RAG_{f.name.upper()}", "") != ""}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def coerce(name: str, default: object, value: object) -> object:
    """`value` as the type of `default`, parsed from a string if need be, within RANGES."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        word = value.strip().lower() if isinstance(value, str) else None
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise SettingsError(name, "be true or false (or 1/0, yes/no, on/off)", value)
    if isinstance(default, (int, float)):
        kind = type(default)
        limits = RANGES.get(name, Range())
        number = _number(value, kind)
        if number is None or not limits.allows(number):
            raise SettingsError(name, "be " + limits.describe(kind), value)
        return number
    if isinstance(default, Path):
        if not isinstance(value, (str, os.PathLike)):
            raise SettingsError(name, "be a folder path", value)
        return Path(value)
    if isinstance(default, str) and not isinstance(value, str):
        raise SettingsError(name, "be text", value)
    return value


def _number(value: object, kind: type) -> int | float | None:
    """`value` as a finite int or float, or None; a bool is not a number here, nor a float an integer."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = kind(value.strip())
        except ValueError:
            return None
    if kind is int:
        return value if isinstance(value, int) else None
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
