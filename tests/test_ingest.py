"""Content-hash ingest into a real Chroma: unchanged embeds nothing, edits embed only what changed."""
from __future__ import annotations

from rag.ingest import index_info, ingest
from rag.passages import split_corpus
from rag.corpus import load_corpus
from rag.settings import Settings
from rag.store import PassageStore


def _ingest(settings, embedder):
    return ingest(settings, store=PassageStore(settings), embedder=embedder, progress=False)


def test_reingest_embeds_only_changes(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    total = len(split_corpus(load_corpus(small_corpus)))

    first = _ingest(settings, embedder)
    assert (first.documents, first.passages, first.embedded, first.deleted) == (3, total, total, 0)

    again = _ingest(settings, embedder)
    assert (again.embedded, again.moved, again.deleted) == (0, 0, 0)
    assert "0 passages embedded" in again.summary()

    garden = small_corpus / "gardening.md"
    garden.write_text(garden.read_text().replace("six hours", "eight hours"), encoding="utf-8")
    edited = _ingest(settings, embedder)
    assert (edited.embedded, edited.deleted) == (1, 1)  # only the edited paragraph

    (small_corpus / "bikes.html").unlink()
    removed = _ingest(settings, embedder)
    assert removed.embedded == 0 and removed.deleted == 3
    stored = PassageStore(settings).stored()
    assert len(stored) == removed.passages
    assert {m["doc_id"] for m in stored.values()} == {"gardening.md", "bread.txt"}


def test_moved_passages_update_spans_without_embedding(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    _ingest(settings, embedder)
    bread = small_corpus / "bread.txt"
    bread.write_text("\n\n\n" + bread.read_text(), encoding="utf-8")
    report = _ingest(settings, embedder)
    assert report.embedded == 0 and report.moved == 2  # both bread passages shifted by 3 characters
    doc = next(d for d in load_corpus(small_corpus) if d.doc_id == "bread.txt")
    for meta in PassageStore(settings).stored().values():
        if meta["doc_id"] == "bread.txt":
            assert doc.text[meta["start"]:meta["end"]].strip()
            assert meta["start"] >= 3


def test_chunking_or_model_mismatch_rebuilds(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    first = _ingest(settings, embedder)
    store = PassageStore(settings)
    store.set_info({**store.info, "chunking": "some-older-version"})
    rebuilt = _ingest(settings, embedder)
    assert rebuilt.rebuilt and rebuilt.embedded == first.passages
    assert PassageStore(settings).info["chunking"] == index_info(embedder.model_id)["chunking"]


def test_rebuild_flag_embeds_everything(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    first = _ingest(settings, embedder)
    again = ingest(settings, store=PassageStore(settings), embedder=embedder, rebuild=True, progress=False)
    assert again.rebuilt and again.embedded == first.passages
    assert PassageStore(settings).count() == first.passages


def test_an_interrupted_first_build_is_completed_in_place(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    passages = split_corpus(load_corpus(small_corpus))
    store = PassageStore(settings)
    store.upsert(passages[:3], embedder.encode([p.embedding_text() for p in passages[:3]]))  # killed after a batch
    assert not store.complete
    report = _ingest(settings, embedder)
    assert not report.rebuilt and report.embedded == len(passages) - 3
    assert PassageStore(settings).complete


def test_a_rebuild_swaps_in_a_new_folder_and_removes_the_old(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    reader = PassageStore(settings)
    _ingest(settings, embedder)
    old = reader.folder
    ingest(settings, embedder=embedder, rebuild=True, progress=False)
    assert not old.exists() and PassageStore(settings).folder != old
    assert reader.count() == len(split_corpus(load_corpus(small_corpus))), "a reader follows the swap"
    assert reader.folder == PassageStore(settings).folder


def test_the_next_ingest_removes_a_killed_rebuilds_folder(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    _ingest(settings, embedder)
    abandoned = settings.data_dir / "chroma-0badcafe"
    (abandoned / "leftover").mkdir(parents=True)
    (small_corpus / "bread.txt").write_text("Rye bread needs a long, cool proof.\n", encoding="utf-8")
    _ingest(settings, embedder)
    assert not abandoned.exists() and (settings.data_dir / "chroma").is_dir()
