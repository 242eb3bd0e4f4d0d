"""The one object every face talks to: load settings and index, then ask(question) -> Answer."""
from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import NamedTuple

from .answer_types import Answer
from .answerability import Answerability, Evidence
from .composer import compose, refusal, stream_text
from .document_order import document_order
from .generative import GenerativeAnswerer
from .corpus import CorpusError, load_corpus
from .embedder import Embedder
from .ingest import IngestReport, current_by_stamp, ingest, is_stale, restamp
from .questions import clean_context, clean_question
from .followup import condense
from .question_parts import question_parts
from .retriever import DenseWeights, Retrieval, Retriever
from .settings import Settings
from .passages import Passage
from .store import BEING_BUILT, Hit, PassageStore, StoreError


MAX_CONTEXT = 3  # previous questions a follow-up may lean on


logger = logging.getLogger(__name__)


class Trace(NamedTuple):
    answer: Answer
    hits: list[Hit]
    evidence: Evidence | None = None


class Assistant:
    def __init__(self, settings: Settings, store: PassageStore, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.retriever = Retriever(
            store, embedder, settings.top_k, settings.keyword_weight,
            DenseWeights(settings.passage_weight, settings.sentence_weight, settings.heading_weight),
            correct_typos=settings.correct_typos, long_question_focus=settings.long_question_focus)
        self._answerability: Answerability | None = None
        self._generator: GenerativeAnswerer | None = None
        self._generation = 0

    @classmethod
    def load(cls, settings: Settings | None = None, *, quiet: bool = False) -> "Assistant":
        """Settings from the environment; builds or refreshes the index first when auto_ingest is on."""
        settings = settings or Settings.from_env()
        store = PassageStore(settings)
        embedder = Embedder(settings.torch_threads, settings.data_dir if settings.onnx else None)
        assistant = cls(settings, store, embedder)
        if settings.auto_ingest:
            report = assistant.refresh_index(progress=False if quiet else None)
            if report is not None and not quiet:
                print(report.summary(), file=sys.stderr)
            embedder.ensure_onnx()  # once per data folder: later starts skip importing torch
        reader = store
        if settings.memory_index:
            from .vector_cache import VectorCache

            reader = VectorCache.from_files(store) or store  # the files an ingest wrote beside the index: no Chroma
        if reader.count() == 0:
            raise StoreError(f"the index is empty: add articles to {settings.corpus_dir} and run `rag ingest`")
        if not reader.complete:
            raise StoreError(BEING_BUILT)  # never answer from half an index
        if settings.memory_index:
            assistant.retriever.store = reader if reader is not store else VectorCache(store)
        assistant.retriever.retrieve("warm up")  # pays torch's one-off set-up and builds the keyword index
        return assistant

    def refresh_index(self, progress: bool | None = None) -> IngestReport | None:
        """Re-ingest when the corpus, model or chunking changed; None when the index was current.

        When the corpus cannot be indexed (its folder is gone, or it holds no text) but a finished
        index exists, that index keeps answering and a warning says why it was not refreshed.
        """
        try:
            if current_by_stamp(self.settings, self.embedder.model_id) is not None:
                return None  # known current from a listing of the corpus folder: nothing parsed, Chroma not opened
            docs = load_corpus(self.settings.corpus_dir, max_file_bytes=self.settings.max_file_bytes,
                               max_files=self.settings.max_files)
            if not is_stale(self.store, docs, self.embedder.model_id):
                restamp(self.settings, self.store, self.embedder)  # so that the next start skips this
                return None
            return ingest(self.settings, store=self.store, embedder=self.embedder, progress=progress)
        except CorpusError as exc:
            if not (self.store.count() and self.store.complete):
                raise
            logger.warning("%s; answering from the existing index", exc)
            return None

    def sources(self) -> list[str]:
        """Titles of the indexed documents."""
        return sorted({meta.get("source", "") for meta in self.store.stored().values()} - {""})

    def example_questions(self, limit: int = 5) -> list[str]:
        """Headings phrased as questions, an FAQ's (several question headings under one parent) first."""
        groups: dict[str, list[str]] = {}
        stored = sorted(self.store.stored().values(), key=lambda m: (m.get("doc_id", ""), m.get("start", 0)))
        for meta in stored:
            *parents, last = (meta.get("section") or "").split(" > ")
            group = groups.setdefault(f"{meta.get('doc_id')}\0{' > '.join(parents)}", [])
            if last.strip().endswith("?") and last.strip() not in group:
                group.append(last.strip())
        ordered = sorted(groups.values(), key=len, reverse=True)  # stable: document order within ties
        return [q for group in ordered for q in group][:limit]

    def passages(self, ids: list[str]) -> list[Passage]:
        """The indexed passages with these ids (those still in the index)."""
        return self.store.get(ids) if ids else []

    def outline(self) -> list[tuple[str, str]]:
        """(doc_id, heading path) of every section that holds passages, in document order."""
        stored = sorted(self.store.stored().values(), key=lambda m: (m.get("doc_id", ""), m.get("start", 0)))
        return list(dict.fromkeys((m.get("doc_id", ""), m.get("section") or "") for m in stored))

    def passages_near(self, question: str, context: list[str] = ()) -> list[Passage]:
        """The passages retrieval ranks first for `question`, answerable or not: where a refusal can point the reader.

        Raises QuestionError like ask().
        """
        text = clean_question(question, self.settings.max_question_chars)
        previous = clean_context(context, self.settings.max_question_chars)[-MAX_CONTEXT:]
        return [hit.passage for hit in self.retriever.search(condense(text, previous)).hits]

    def answers(self, question: str, context: list[str] = ()) -> bool:
        """Whether ask() would answer `question` rather than refuse it, without composing (or generating) the answer."""
        return self._prepare(question, context)[3]

    def ask(self, question: str, context: list[str] = ()) -> Answer:
        """Answer `question` from the articles; `context` holds the conversation's previous questions, oldest first.

        Raises QuestionError for empty, over-long or control-character input.
        """
        return self.ask_traced(question, context)[0]

    @property
    def answerability(self) -> Answerability:
        if self._answerability is None:
            s = self.settings
            self._answerability = Answerability.from_settings(self.retriever.vocabulary.counts,
                                                             self.retriever.keyword.search, s)
        return self._answerability

    def _prepare(self, question: str, context) -> tuple[str, Retrieval, Evidence, bool]:
        """Validate, read the question in the light of the conversation, retrieve, decide answerability."""
        text = clean_question(question, self.settings.max_question_chars)
        previous = clean_context(context, self.settings.max_question_chars)[-MAX_CONTEXT:]
        found = self.retriever.search(condense(text, previous))
        if self.retriever.generation != self._generation:  # the index was reloaded: vocabulary changed
            self._answerability, self._generation = None, self.retriever.generation
        evidence = self.answerability.evidence(found.query, found.hits)
        return text, found, evidence, self.answerability.answerable(evidence)

    def ask_traced(self, question: str, context: list[str] = ()) -> Trace:
        """The answer, the ranked passages it was composed from, and the answerability evidence."""
        text, found, evidence, answerable = self._prepare(question, context)
        if not answerable:
            return Trace(refusal(text, found.hits), found.hits, evidence)
        if self.generator is not None:
            answer = self.generator.answer(found.query, found.hits, lambda: self._compose(text, found))
            return Trace(replace(answer, question=text), found.hits, evidence)
        return Trace(self._compose(text, found), found.hits, evidence)

    def stream(self, question: str, context: list[str] = ()) -> Iterator[str | Answer]:
        """The answer as it is written: text pieces (str) that join into Answer.text, then the Answer itself.

        `context` holds the conversation's previous questions, oldest first. Raises QuestionError
        before yielding anything when the question is not acceptable.
        """
        return self._stream(*self._prepare(question, context))

    def _stream(self, text: str, found: Retrieval, evidence: Evidence, answerable: bool) -> Iterator[str | Answer]:
        if not answerable:
            answer = refusal(text, found.hits)
        elif self.generator is not None:
            for item in self.generator.stream(found.query, found.hits, lambda: self._compose(text, found)):
                yield replace(item, question=text) if isinstance(item, Answer) else item
            return
        else:
            answer = self._compose(text, found)
        yield from stream_text(answer.text)
        yield answer

    @property
    def generator(self) -> GenerativeAnswerer | None:
        """The LLM answerer when RAG_LLM_BASE_URL and RAG_LLM_MODEL are set, else None (extractive answers)."""
        if self._generator is None and self.settings.llm_base_url and self.settings.llm_model:
            self._generator = GenerativeAnswerer(self.settings, self.embedder)
        return self._generator

    def _compose(self, question: str, found: Retrieval) -> Answer:
        parts = question_parts(found.query) if self.settings.answer_by_part else [found.query]
        part_vectors = list(zip(parts, self.embedder.encode(parts))) if len(parts) > 1 else []
        return compose(found.query, found.hits, self.settings, found.vector, found.sentence_vectors, part_vectors,
                       document=document_order(self.retriever.keyword.passages), asked=question)
