"""Answerability evidence, typo correction and the finer unit vectors, on small real inputs."""
from __future__ import annotations

from rag.answerability import Answerability
from rag.corpus import load_corpus
from rag.passages import split_corpus
from rag.store import Hit
from rag.units import passage_units, row_as_text
from rag.vocabulary import Vocabulary


def _small(small_corpus):
    passages = split_corpus(load_corpus(small_corpus))
    return passages, Vocabulary([f"{p.source} {p.section} {p.text}" for p in passages])


def test_coverage_counts_words_the_corpus_never_saw(small_corpus):
    passages, vocab = _small(small_corpus)
    judge = Answerability(vocab.counts, bias=-5.0, top_weight=7.0, coverage_weight=3.5)
    hits = [Hit(passages[0], 0.5)]
    known = judge.evidence("How much sunlight do tomato plants need?", hits)
    assert known.coverage == 1.0 and known.unknown == ()  # "tomato" matches "Tomatoes" by stem
    unknown = judge.evidence("How much sunlight do cucumber vines need?", hits)
    assert set(unknown.unknown) == {"cucumber", "vines"}
    assert abs(unknown.coverage - 1 / 3) < 1e-9  # sunlight, cucumber, vines: one of three known
    assert judge.probability(known) > judge.probability(unknown)
    assert judge.answerable(known) and not judge.answerable(unknown)
    assert not judge.answerable(judge.evidence("How much sunlight do tomato plants need?", [Hit(passages[0], 0.1)]))


def test_typos_are_corrected_to_corpus_words_but_real_words_are_kept(small_corpus):
    _, vocab = _small(small_corpus)
    assert vocab.correct_text("how often shuld I feed the sourdogh startr") == "how often shuld I feed the sourdough starter"
    assert vocab.correct_text("he thinks tyres wear") == "he thinks tyres wear"  # English words stay


def test_units_are_sentences_under_their_heading_and_the_heading(small_corpus):
    passages, _ = _small(small_corpus)
    sunlight = next(p for p in passages if p.section == "Sunlight")
    units = passage_units(sunlight)
    assert [u.kind for u in units] == ["sentence", "sentence", "heading"]
    assert units[0].text == "Sunlight: Tomatoes need at least six hours of direct sunlight every day."
    assert units[-1].text == "Sunlight" and all(u.passage_id == sunlight.id for u in units)


def test_table_row_reads_with_its_column_names():
    from rag.corpus import Document
    from rag.passages import split_document

    doc = Document("t.md", "T", "## Sizes\n\n| Size | Width |\n| --- | --- |\n| Small | 10 cm |\n", "markdown")
    (row,) = split_document(doc)
    assert row_as_text(row) == "Size: Small; Width: 10 cm"
    three = Document("t.md", "T", "## Pets\n\n| Aspect | Cats | Dogs |\n| --- | --- | --- |\n| Walks | None | Daily |\n",
                     "markdown")
    (pets,) = split_document(three)
    assert [u.text for u in passage_units(pets) if u.kind == "sentence"] == [
        "Pets: Aspect: Walks; Cats: None; Dogs: Daily", "Pets: Cats, Walks: None", "Pets: Dogs, Walks: Daily"]


def test_long_questions_are_searched_by_their_asking_sentences_too():
    from rag.retriever import focus_sentences

    assert focus_sentences("How long does it take?") == []
    story = "We met years ago. " * 30 + "Things changed after the move. What can we do now? Thanks for reading."
    assert focus_sentences(story) == ["What can we do now?"]
    assert focus_sentences("We met years ago. " * 30) == ["We met years ago."]  # no question mark: the last sentence
