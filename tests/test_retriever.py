"""Hybrid retrieval: BM25 finds exact words, fusion keeps dense cosines as scores."""
from __future__ import annotations

from rag.ingest import ingest
from rag.keyword import KeywordIndex
from rag.retriever import Retriever
from rag.settings import Settings
from rag.store import PassageStore


def test_keyword_index_ranks_exact_words(small_corpus, tmp_path, embedder):
    settings = Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data")
    store = PassageStore(settings)
    ingest(settings, store=store, embedder=embedder, progress=False)
    index = KeywordIndex(store.passages())
    found = index.search("lubricate kilometres", 3)
    assert found and found[0][0].text.startswith("Clean and lubricate the chain")
    assert index.search("the of and ?", 3) == [], "stopwords alone match nothing"


def test_fusion_keeps_dense_scores_and_weight_zero_is_dense_only(assistant):
    question = "What are common warning signs of low emotional intimacy?"
    dense_only = Retriever(assistant.store, assistant.embedder, top_k=6, keyword_weight=0).retrieve(question)
    hybrid = Retriever(assistant.store, assistant.embedder, top_k=6, keyword_weight=0.5).retrieve(question)
    assert [h.score for h in dense_only] == sorted((h.score for h in dense_only), reverse=True)
    assert hybrid[0].passage.text.startswith("Feeling misunderstood or emotionally distant")
    dense_scores = {h.passage.id: h.score for h in dense_only}
    for hit in hybrid:
        if hit.passage.id in dense_scores:
            assert abs(hit.score - dense_scores[hit.passage.id]) < 1e-6
