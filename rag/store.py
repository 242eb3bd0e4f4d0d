"""The Chroma collection of passages: local PersistentClient by default, a Chroma server when RAG_CHROMA_URL is set."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from .passages import Passage
from .settings import Settings


REPAIR_HINT = "if the data folder is damaged, `rag ingest --rebuild` rebuilds it"


class StoreError(Exception):
    """The index cannot be reached or read."""


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # dense relevance: a cosine, or the retriever's weighted cosines; 1 = identical


def make_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            if url.scheme not in {"http", "https"} or not url.hostname:
                raise StoreError(f"RAG_CHROMA_URL must look like http://host:port, got {settings.chroma_url!r}")
            return chromadb.HttpClient(
                host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https", settings=chroma_settings,
            )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.data_dir / "chroma"), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as exc:  # chromadb raises bare Exception/ValueError for unreachable servers
        where = settings.chroma_url or settings.data_dir
        hint = "is the Chroma server running?" if settings.chroma_url else REPAIR_HINT
        raise StoreError(f"cannot open the index at {where}: {_first_line(exc)} ({hint})") from exc


class PassageStore:
    """Passages with their embeddings; the collection metadata records how they were made."""

    def __init__(self, settings: Settings, client=None) -> None:
        self.settings = settings
        self.client = client if client is not None else make_client(settings)
        self._collection = None
        self._units = None

    def collection(self, create: bool = False):
        """The passages collection; None when it does not exist and `create` is false."""
        if self._collection is None:
            self._collection = self._open(self.settings.collection, create)
        return self._collection

    def units(self, create: bool = False):
        """The companion collection of sentence and heading vectors, each pointing at its passage."""
        if self._units is None:
            self._units = self._open(self._units_name, create)
        return self._units

    @property
    def _units_name(self) -> str:
        return f"{self.settings.collection}-units"

    def _open(self, name: str, create: bool):
        try:
            if create:
                return self.client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"},
                                                            embedding_function=None)
            if name not in {getattr(c, "name", c) for c in self.client.list_collections()}:
                return None
            return self.client.get_collection(name, embedding_function=None)
        except Exception as exc:
            raise StoreError(f"cannot read the index: {_first_line(exc)} ({REPAIR_HINT})") from exc

    @property
    def info(self) -> dict:
        col = self.collection()
        return dict(col.metadata or {}) if col is not None else {}

    def reconnect(self) -> None:
        """A new client: Chroma's in-process state does not follow writes made by another process."""
        if not self.settings.chroma_url:
            # Chroma shares one System per path within a process; evict only ours (its public
            # clear_system_cache() would break every other client in the process).
            try:
                from chromadb.api.shared_system_client import SharedSystemClient

                SharedSystemClient._identifier_to_system.pop(self.client._identifier, None)
                SharedSystemClient._identifier_to_refcount.pop(self.client._identifier, None)
            except (ImportError, AttributeError):
                pass  # another chromadb layout: the new client below may share the old state
        self.client = make_client(self.settings)
        self._collection = self._units = None

    def failed(self, exc: BaseException) -> StoreError:
        """A one-line StoreError for a failed read, saying what to check."""
        hint = (f"is the Chroma server at {self.settings.chroma_url} running?" if self.settings.chroma_url
                else REPAIR_HINT)
        return StoreError(f"the index did not answer: {_first_line(exc)} ({hint})")

    def fresh_info(self) -> dict:
        """The collection metadata as stored now (the handle caches what it read when opened)."""
        self._collection = self._units = None
        return self.info

    def set_info(self, info: dict) -> None:
        self.collection(create=True).modify(metadata={k: v for k, v in info.items() if not k.startswith("hnsw:")})

    def reset(self) -> None:
        """Drop the collection (model or chunking changed, or a rebuild was asked for)."""
        for name in (self.settings.collection, self._units_name):
            try:
                self.client.delete_collection(name)
            except Exception:
                pass  # it did not exist
        self._collection = self._units = None

    def stored(self) -> dict[str, dict]:
        """id → metadata of every stored passage."""
        col = self.collection()
        if col is None:
            return {}
        got = col.get(include=["metadatas"])
        return dict(zip(got["ids"], got["metadatas"]))

    def passages(self) -> list[Passage]:
        """Every stored passage, in document order."""
        col = self.collection()
        if col is None:
            return []
        found = passages_of(col.get(include=["documents", "metadatas"]))
        return sorted(found, key=lambda p: (p.doc_id, p.start))

    def get(self, ids: list[str]) -> list[Passage]:
        return passages_of(self.collection().get(ids=list(ids), include=["documents", "metadatas"]))

    def texts(self) -> dict[str, str]:
        """id → text of every stored passage."""
        return {p.id: p.text for p in self.passages()}

    def count(self) -> int:
        col = self.collection()
        return col.count() if col is not None else 0

    def upsert(self, passages: list[Passage], embeddings) -> None:
        self.collection(create=True).upsert(
            ids=[p.id for p in passages], embeddings=[list(map(float, e)) for e in embeddings],
            documents=[p.text for p in passages], metadatas=[passage_metadata(p) for p in passages])

    def upsert_units(self, units, embeddings) -> None:
        if units:
            self.units(create=True).upsert(
                ids=[u.id for u in units], embeddings=[list(map(float, e)) for e in embeddings],
                documents=[u.text for u in units],
                metadatas=[{"passage_id": u.passage_id, "kind": u.kind} for u in units])

    def update_metadata(self, passages: list[Passage]) -> None:
        if passages:
            self.collection(create=True).update(
                ids=[p.id for p in passages], metadatas=[passage_metadata(p) for p in passages])

    def delete(self, ids: list[str]) -> None:
        if ids:
            self.collection(create=True).delete(ids=list(ids))
            self.units(create=True).delete(where={"passage_id": {"$in": list(ids)}})

    def query(self, embedding, k: int) -> list[Hit]:
        col = self.collection()
        if col is None:
            raise StoreError("the index is empty: run `rag ingest` first")
        try:
            got = col.query(query_embeddings=[list(map(float, embedding))], n_results=k,
                            include=["documents", "metadatas", "distances"])
        except Exception as exc:
            raise self.failed(exc) from exc
        hits = []
        for pid, text, meta, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]):
            hits.append(Hit(passage_from_record(pid, text, meta), 1.0 - float(dist)))
        return hits

    def query_units(self, embedding, k: int) -> list[tuple[str, str, float]]:
        """(passage id, unit kind, cosine) of the k nearest units."""
        col = self.units()
        if col is None:
            return []
        try:
            got = col.query(query_embeddings=[list(map(float, embedding))], n_results=k,
                            include=["metadatas", "distances"])
        except Exception as exc:
            raise self.failed(exc) from exc
        return [(m["passage_id"], m["kind"], 1.0 - float(d)) for m, d in zip(got["metadatas"][0], got["distances"][0])]

    def vectors(self, passage_ids: list[str]):
        """Passage and unit vectors of the given passages: ({id: vec}, [(passage id, kind, sentence index, vec)]).

        The sentence index numbers a passage's sentence units in order; a heading's is -1.
        """
        import numpy as np

        if not passage_ids:
            return {}, []
        try:
            got = self.collection().get(ids=list(passage_ids), include=["embeddings"])
            passages = {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}
            units = []
            if self.units() is not None:
                got = self.units().get(where={"passage_id": {"$in": list(passage_ids)}},
                                       include=["embeddings", "metadatas"])
                units = [(m["passage_id"], m["kind"], sentence_index(uid), np.asarray(e, dtype=np.float32))
                         for uid, m, e in zip(got["ids"], got["metadatas"], got["embeddings"])]
        except Exception as exc:
            raise self.failed(exc) from exc
        return passages, units


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def sentence_index(unit_id: str) -> int:
    """The n of a unit id "<passage id>:s<n>"; -1 for a heading unit ("<passage id>:h")."""
    tail = unit_id.rsplit(":", 1)[-1]
    return int(tail[1:]) if tail.startswith("s") and tail[1:].isdigit() else -1


def passages_of(got: dict) -> list[Passage]:
    """Passages from a Chroma get() result that included documents and metadatas."""
    return [passage_from_record(i, t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"])]


def passage_metadata(p: Passage) -> dict:
    return {"doc_id": p.doc_id, "source": p.source, "section": p.section,
            "start": p.start, "end": p.end, "kind": p.kind}


def passage_from_record(pid: str, text: str, meta: dict) -> Passage:
    meta = meta or {}
    return Passage(id=pid, doc_id=meta.get("doc_id", ""), source=meta.get("source", ""),
                   section=meta.get("section", ""), text=text or "", start=int(meta.get("start", 0)),
                   end=int(meta.get("end", 0)), kind=meta.get("kind", "paragraph"))
