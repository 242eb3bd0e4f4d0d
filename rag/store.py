"""The Chroma collection of passages: local PersistentClient by default, a Chroma server when RAG_CHROMA_URL is set."""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

from .types import Hit, Passage
from .settings import Settings


REPAIR_HINT = "if the data folder is damaged, `rag ingest --rebuild` rebuilds it beside the old one"
BEING_BUILT = ("the index is being built (or its first build was interrupted); try again in a moment, "
               "or run `rag ingest` to finish it")
CURRENT = "index-current"  # names the live index folder inside the data folder; absent = "chroma"
REBUILD_FOLDER = re.compile(r"chroma-[0-9a-f]{8}")  # a rebuild's folder: chroma-<8 random hex digits>


class StoreError(Exception):
    """The index cannot be reached or read."""


def index_folder(settings: Settings) -> Path:
    """The local index folder readers open: the one a finished rebuild named in CURRENT, else data/chroma."""
    try:
        name = (settings.data_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        name = ""
    return settings.data_dir / (name if REBUILD_FOLDER.fullmatch(name) else "chroma")


def switch_index(settings: Settings, folder: Path) -> None:
    """Make `folder` (a complete index inside the data folder) the one readers open, in one atomic step."""
    pointer = settings.data_dir / CURRENT
    partial = pointer.with_name(f"{CURRENT}.{os.getpid()}.tmp")
    with open(partial, "w", encoding="utf-8") as f:
        f.write(folder.name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, pointer)


def make_client(settings: Settings, folder: Path | None = None):
    """A Chroma client: on the server at RAG_CHROMA_URL, else on `folder` (default: the live index folder)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            return _http_client(settings, chroma_settings)
        folder = folder or index_folder(settings)
        folder.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(folder), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as exc:  # chromadb raises bare Exception/ValueError for unreachable servers
        where = settings.chroma_url or folder
        hint = "is the Chroma server running?" if settings.chroma_url else REPAIR_HINT
        raise StoreError(f"cannot open the index at {where}: {first_line(exc)} ({hint})") from exc


def _http_client(settings: Settings, chroma_settings):
    """A client of the Chroma server whose every request gives up after settings.chroma_timeout seconds.

    chromadb 1.x builds its httpx session with timeout=None and has no setting for it, so the
    timeout is set on that session once the client exists; the client's own start-up requests
    run in a worker thread that is abandoned at the same deadline.
    """
    import chromadb
    import httpx

    url = urlparse(settings.chroma_url)
    if url.scheme not in {"http", "https"} or not url.hostname:
        raise StoreError(f"RAG_CHROMA_URL must look like http://host:port, got {settings.chroma_url!r}")
    made: dict = {}

    def connect() -> None:
        try:
            made["client"] = chromadb.HttpClient(host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
                                                 ssl=url.scheme == "https", settings=chroma_settings)
        except Exception as exc:
            made["error"] = exc

    worker = threading.Thread(target=connect, name="rag-chroma-connect", daemon=True)
    worker.start()
    worker.join(settings.chroma_timeout)
    if worker.is_alive():
        raise StoreError(f"the Chroma server at {settings.chroma_url} did not answer within "
                         f"{settings.chroma_timeout:g} s (is the Chroma server running? RAG_CHROMA_TIMEOUT sets the wait)")
    if "error" in made:
        raise made["error"]
    session = getattr(getattr(made["client"], "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(settings.chroma_timeout)
    return made["client"]


class PassageStore:
    """Passages with their embeddings; the collection metadata records how they were made.

    A local store follows the data folder's live index: when a rebuild swaps in a new folder,
    the next read opens it. `folder` pins a store to one folder (the rebuild writing it);
    `name` writes collections under another name (a rebuild on a Chroma server).
    """

    def __init__(self, settings: Settings, client=None, *, folder: Path | None = None, name: str | None = None) -> None:
        self.settings = settings
        self.name = name or settings.collection
        self._pinned = folder is not None
        self.folder = None if settings.chroma_url else (folder or index_folder(settings))
        self._client = client  # made on first use: importing chromadb costs ~0.7 s a start that reads files can skip
        self._collection = None
        self._units = None

    @property
    def client(self):
        if self._client is None:
            self._client = make_client(self.settings, self.folder)
        return self._client

    def collection(self, create: bool = False):
        """The passages collection; None when it does not exist and `create` is false."""
        self._follow_swap()
        if self._collection is None:
            self._collection = self._open(self.name, create)
        return self._collection

    def units(self, create: bool = False):
        """The companion collection of sentence and heading vectors, each pointing at its passage."""
        self._follow_swap()
        if self._units is None:
            self._units = self._open(self._units_name, create)
        return self._units

    @property
    def _units_name(self) -> str:
        return f"{self.name}-units"

    def _follow_swap(self) -> None:
        if self.folder is not None and not self._pinned and index_folder(self.settings) != self.folder:
            self.reconnect()

    def _open(self, name: str, create: bool):
        client = self.client  # its StoreError says what to check
        try:
            if create:
                return client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"},
                                                       embedding_function=None)
            if name not in {getattr(c, "name", c) for c in client.list_collections()}:
                return None
            return client.get_collection(name, embedding_function=None)
        except Exception as exc:
            raise self.failed(exc, "cannot read the index") from exc

    @property
    def info(self) -> dict:
        col = self.collection()
        return dict(col.metadata or {}) if col is not None else {}

    @property
    def complete(self) -> bool:
        """Whether the index was finished: an ingest writes the corpus digest last."""
        return bool(self.info.get("corpus_digest"))

    def reconnect(self) -> None:
        """A new client: Chroma's in-process state does not follow writes made by another process.

        A Chroma server holds no such state: its client stays, only the collection handles go.
        """
        if self.settings.chroma_url:
            self._collection = self._units = None
            return
        # Chroma shares one System per path within a process; evict only ours (its public
        # clear_system_cache() would break every other client in the process).
        if self._client is not None:
            try:
                from chromadb.api.shared_system_client import SharedSystemClient

                SharedSystemClient._identifier_to_system.pop(self._client._identifier, None)
                SharedSystemClient._identifier_to_refcount.pop(self._client._identifier, None)
            except (ImportError, AttributeError):
                pass  # another chromadb layout: the new client may share the old state
        if not self._pinned:
            self.folder = index_folder(self.settings)
        self._client = None
        self._collection = self._units = None

    def failed(self, exc: BaseException, what: str = "the index did not answer") -> StoreError:
        """A one-line StoreError for a failed read, saying what to check."""
        hint = (f"is the Chroma server at {self.settings.chroma_url} running?" if self.settings.chroma_url
                else REPAIR_HINT)
        return StoreError(f"{what}: {first_line(exc)} ({hint})")

    def _read(self, read):
        """read(), its failure turned into one StoreError line (a Chroma server's calls time out)."""
        try:
            return read()
        except StoreError:
            raise
        except Exception as exc:
            raise self.failed(exc) from exc

    def fresh_info(self) -> dict:
        """The collection metadata as stored now (the handle caches what it read when opened)."""
        self._collection = self._units = None
        return self.info

    def set_info(self, info: dict) -> None:
        self.collection(create=True).modify(metadata={k: v for k, v in info.items() if not k.startswith("hnsw:")})

    def reset(self) -> None:
        """Drop the collections (a rebuild's leftovers, or the old index a rebuild on a server replaces)."""
        for name in (self.name, self._units_name):
            try:
                self.client.delete_collection(name)
            except Exception:
                pass  # it did not exist
        self._collection = self._units = None

    def rename(self, name: str) -> None:
        """Give the collections another name (a finished rebuild on a Chroma server takes the live name)."""
        for col, new in ((self.collection(), name), (self.units(), f"{name}-units")):
            if col is not None:
                col.modify(name=new)
        self.name = name
        self._collection = self._units = None

    def stored(self) -> dict[str, dict]:
        """id → metadata of every stored passage."""
        col = self.collection()
        if col is None:
            return {}
        got = self._read(lambda: col.get(include=["metadatas"]))
        return dict(zip(got["ids"], got["metadatas"]))

    def passages(self) -> list[Passage]:
        """Every stored passage, in document order."""
        col = self.collection()
        if col is None:
            return []
        found = passages_of(self._read(lambda: col.get(include=["documents", "metadatas"])))
        return sorted(found, key=lambda p: (p.doc_id, p.start))

    def get(self, ids: list[str]) -> list[Passage]:
        col = self.collection()
        if col is None:
            return []
        return passages_of(self._read(lambda: col.get(ids=list(ids), include=["documents", "metadatas"])))

    def texts(self) -> dict[str, str]:
        """id → text of every stored passage."""
        return {p.id: p.text for p in self.passages()}

    def count(self) -> int:
        col = self.collection()
        return self._read(col.count) if col is not None else 0

    def upsert(self, passages: list[Passage], embeddings) -> None:
        if passages:
            self.collection(create=True).upsert(
                ids=[p.id for p in passages], embeddings=_rows(embeddings),
                documents=[p.text for p in passages], metadatas=[passage_metadata(p) for p in passages])

    def upsert_units(self, units, embeddings) -> None:
        """Sentence units (each names its passage) and heading units (shared: the passages name them)."""
        if units:
            self.units(create=True).upsert(
                ids=[u.id for u in units], embeddings=_rows(embeddings), documents=[u.text for u in units],
                metadatas=[{"kind": u.kind} if u.kind == "heading" else {"passage_id": u.passage_id, "kind": u.kind}
                           for u in units])

    def update_metadata(self, passages: list[Passage]) -> None:
        if passages:
            self.collection(create=True).update(
                ids=[p.id for p in passages], metadatas=[passage_metadata(p) for p in passages])

    def delete(self, ids: list[str]) -> None:
        """Remove passages and their sentence units (heading units go with delete_units once unused)."""
        if ids:
            self.collection(create=True).delete(ids=list(ids))
            self.units(create=True).delete(where={"passage_id": {"$in": list(ids)}})

    def delete_units(self, ids: list[str]) -> None:
        if ids:
            self.units(create=True).delete(ids=list(ids))

    def unit_summary(self) -> tuple[dict[str, int], set[str]]:
        """(passage id -> its stored sentence units, ids of the stored heading units)."""
        col = self.units()
        if col is None:
            return {}, set()
        got = self._read(lambda: col.get(include=["metadatas"]))
        counts: dict[str, int] = {}
        headings = set()
        for uid, meta in zip(got["ids"], got["metadatas"]):
            if meta.get("kind") == "heading":
                headings.add(uid)
            else:
                counts[meta.get("passage_id", "")] = counts.get(meta.get("passage_id", ""), 0) + 1
        return counts, headings

    def query(self, embedding, k: int) -> list[Hit]:
        col = self.collection()
        if col is None:
            raise StoreError("the index is empty: run `rag ingest` first")
        got = self._read(lambda: col.query(query_embeddings=[list(map(float, embedding))], n_results=k,
                                           include=["documents", "metadatas", "distances"]))
        hits = []
        for pid, text, meta, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]):
            hits.append(Hit(passage_from_record(pid, text, meta), 1.0 - float(dist)))
        return hits

    def query_units(self, embedding, k: int) -> list[tuple[str, str, float]]:
        """(passage id, unit kind, cosine) of the k nearest units, best first.

        A heading unit stands for every passage under it, so it fills as many places as it has
        passages; a passage of one sentence is its own sentence unit (its passage vector).
        """
        units, col = self.units(), self.collection()
        if col is None:
            return []
        query = [list(map(float, embedding))]

        def read():
            found = []  # (cosine, kind, passage id or heading text)
            if units is not None:
                got = units.query(query_embeddings=query, n_results=k, include=["metadatas", "documents", "distances"])
                for m, text, d in zip(got["metadatas"][0], got["documents"][0], got["distances"][0]):
                    found.append((1.0 - float(d), m["kind"], text if m["kind"] == "heading" else m["passage_id"]))
            got = col.query(query_embeddings=query, n_results=k, include=["metadatas", "distances"])
            found += [(1.0 - float(d), "sentence", pid) for pid, m, d in zip(got["ids"][0], got["metadatas"][0],
                                                                             got["distances"][0])
                      if not m.get("sentences")]
            out = []
            for cos, kind, key in sorted(found, key=lambda f: -f[0]):
                if len(out) >= k:
                    break
                if kind != "heading":
                    out.append((key, kind, cos))
                    continue
                under = col.get(where={"heading": key}, limit=k - len(out), include=[])["ids"]
                out += [(pid, kind, cos) for pid in under]
            return out

        return self._read(read)

    def vectors(self, passage_ids: list[str]):
        """Passage and unit vectors of the given passages: ({id: vec}, [(passage id, kind, sentence index, vec)]).

        The sentence index numbers a passage's sentence units in order; a heading's is -1. A passage
        of one sentence has no sentence unit: its own vector is given as its sentence 0.
        """
        import numpy as np

        from .units import heading_id

        if not passage_ids:
            return {}, []

        def read():
            got = self.collection().get(ids=list(passage_ids), include=["embeddings", "metadatas"])
            passages = {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}
            heading_of = {i: heading_id(m.get("heading", "")) for i, m in zip(got["ids"], got["metadatas"])}
            units = []
            if self.units() is not None:
                got = self.units().get(where={"passage_id": {"$in": list(passages)}}, include=["embeddings", "metadatas"])
                units = [(m["passage_id"], m["kind"], sentence_index(uid), np.asarray(e, dtype=np.float32))
                         for uid, m, e in zip(got["ids"], got["metadatas"], got["embeddings"])]
                got = self.units().get(ids=sorted(set(heading_of.values())), include=["embeddings"])
                headings = dict(zip(got["ids"], got["embeddings"]))
                units += [(pid, "heading", -1, np.asarray(headings[h], dtype=np.float32))
                          for pid, h in heading_of.items() if h in headings]
            with_sentences = {u[0] for u in units if u[1] == "sentence"}
            units += [(pid, "sentence", 0, vec) for pid, vec in passages.items() if pid not in with_sentences]
            return passages, units

        return self._read(read)


def first_line(exc: BaseException) -> str:
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
    """What Chroma keeps beside a passage's text; `heading` names its heading unit, `sentences` counts its sentence units."""
    from .units import heading_text, sentence_units

    meta = {"doc_id": p.doc_id, "source": p.source, "section": p.section, "start": p.start, "end": p.end, "kind": p.kind,
            "heading": heading_text(p), "sentences": len(sentence_units(p))}
    if p.url:  # only when set, so an index of articles without one stays exactly as it was
        meta["url"] = p.url
    return meta


def _rows(embeddings):
    """Embeddings as float32 rows: Chroma takes a numpy matrix as it is."""
    import numpy as np

    return np.asarray(embeddings, dtype=np.float32).reshape(len(embeddings), -1)


def passage_from_record(pid: str, text: str, meta: dict) -> Passage:
    meta = meta or {}
    return Passage(id=pid, doc_id=meta.get("doc_id", ""), source=meta.get("source", ""),
                   section=meta.get("section", ""), text=text or "", start=int(meta.get("start", 0)),
                   end=int(meta.get("end", 0)), kind=meta.get("kind", "paragraph"), url=meta.get("url", ""))
