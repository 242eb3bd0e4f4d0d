"""Hybrid retrieval: BM25 finds exact words, fusion keeps dense cosines as scores."""
from __future__ import annotations

from rag.ingest import ingest
from rag.keyword import KeywordIndex
from rag.passages import Passage
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


def _passage(number: int, text: str, section: str = "") -> Passage:
    return Passage(id=f"p{number}", doc_id="d", source="Notes", section=section, text=text,
                   start=100 * number, end=100 * number + len(text), kind="paragraph")


def test_keyword_index_matches_a_word_of_the_same_family():
    index = KeywordIndex([
        _passage(1, "Reduces loneliness: being understood is a buffer against feeling isolated."),
        _passage(2, "A solo rider on a long road should carry water and a spare tube."),
        _passage(3, "Feeling tired after a long ride is normal; rest and eat well."),
    ])
    # Snowball stems "lonely" to "lone" and "loneliness" to "loneli": only the word family joins them.
    assert [p.id for p, _ in index.search("less lonely", 3)] == ["p1"]
    assert [p.id for p, _ in index.search("lonelier", 3)] == ["p1"]


def test_word_family_is_asked_only_when_the_stem_is_unknown():
    index = KeywordIndex([
        _passage(1, "The server will restart at midnight."),
        _passage(2, "Partners willing to listen build trust."),
    ])
    assert index.query_terms("willing") == ["will"]  # Snowball: willing -> will; both passages have it
    assert index.query_terms("willingness") == ["will"]  # unknown stem "willing" backs off to its family
    assert index.query_terms("zebra") == []


def test_real_article_keyword_search_finds_loneliness_from_lonely(assistant):
    found = assistant.retriever.keyword.search("can closeness make me less lonely", 3)
    assert "loneliness" in found[0][0].text.lower()


def test_retriever_corrects_a_misspelt_question_word_to_the_article_s_spelling(assistant):
    found = assistant.retriever.search("how can I be a better listner to my partner?")
    assert "listner" not in found.query and "listen" in found.query.lower()
    assert any("listen" in h.passage.text.lower() for h in found.hits[:3])
    kept = assistant.retriever.search("my husband and I argue about chores")
    assert kept.query == "my husband and I argue about chores"  # real English words stay as written
