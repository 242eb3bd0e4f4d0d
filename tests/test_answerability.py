"""Answerability (evidence, the fitted decision, its leave-one-corpus-out fitting), typo correction and unit vectors."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from eval import loco
from rag.answerability import AGREEMENT_DEPTH, FEATURES, Answerability
from rag.corpus import load_corpus
from rag.passages import split_corpus
from rag.settings import Settings
from rag.store import Hit
from rag.units import passage_units, row_as_text
from rag.vocabulary import Vocabulary
from rag.word_rarity import rarity


def _small(small_corpus):
    passages = split_corpus(load_corpus(small_corpus))
    return passages, Vocabulary([f"{p.source} {p.section} {p.text}" for p in passages])


# SQLite's VACUUM page as Debian's sqlite3-doc ships it (public domain); no eval corpus holds it.
SQLITE_VACUUM = Path(__file__).parent / "data" / "sqlite-vacuum.html"


def _judge(passages, vocab, settings=None):
    from rag.keyword import KeywordIndex

    return Answerability.from_settings(vocab.counts, KeywordIndex(passages).search, settings or Settings())


def test_evidence_lists_the_words_the_corpus_never_saw(small_corpus):
    passages, vocab = _small(small_corpus)
    judge = _judge(passages, vocab)
    hits = [Hit(passages[0], 0.5)]
    known = judge.evidence("How much sunlight do tomato plants need?", hits)
    assert known.coverage == 1.0 and known.unknown == ()  # "tomato" matches "Tomatoes" by stem
    unknown = judge.evidence("How much sunlight do cucumber vines need?", hits)
    assert set(unknown.unknown) == {"cucumber", "vines"} and unknown.coverage < 1.0
    assert judge.evidence("How much sunlight do tomato plants need?", []).top == 0.0


def test_an_everyday_unknown_word_costs_less_coverage_than_a_rare_one(small_corpus):
    passages, vocab = _small(small_corpus)
    judge = _judge(passages, vocab)
    hits = [Hit(passages[0], 0.5)]
    everyday = judge.evidence("How much sunlight does my husband's tomato need?", hits)
    rare = judge.evidence("How much sunlight does Gottman's tomato need?", hits)
    assert everyday.unknown == ("husband",) and rare.unknown == ("gottman",)  # one unknown word each
    assert rarity("husband") < rarity("gottman")
    assert everyday.coverage > rare.coverage  # counted alike, both would be 2 of 3 known


def test_agreement_is_the_share_of_dense_favourites_the_keyword_ranking_also_ranks_first(small_corpus):
    passages, vocab = _small(small_corpus)
    judge = _judge(passages, vocab)
    question = "How often should I feed a sourdough starter?"
    keyword_first = [p for p, _ in judge.keyword_search(question, AGREEMENT_DEPTH)]
    others = [p for p in passages if p not in keyword_first]
    assert keyword_first and others
    agreeing = judge.evidence(question, [Hit(p, 0.9 - i / 100) for i, p in enumerate(keyword_first)])
    disagreeing = judge.evidence(question, [Hit(p, 0.9 - i / 100) for i, p in enumerate(others)])
    assert agreeing.agreement == 1.0 and disagreeing.agreement == 0.0


def test_a_near_topic_question_is_refused_and_real_ones_answered_on_a_corpus_not_tuned_on(tmp_path):
    """One real HTML page that no eval corpus holds; the shipped coefficients decide."""
    from rag.assistant import Assistant

    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copyfile(SQLITE_VACUUM, folder / "vacuum.html")
    assistant = Assistant.load(Settings(corpus_dir=folder, data_dir=tmp_path / "data"), quiet=True)
    for question in ["Why would I run VACUUM on my database?", "Does VACUUM need extra disk space while it runs?"]:
        answer = assistant.ask(question)
        assert not answer.refused and answer.citations, question
    # About SQLite databases, like the page, but the page says nothing of either.
    for question in ["How do I encrypt an SQLite database with a password?",
                     "Can SQLite replicate a database to another server?"]:
        assert assistant.ask(question).refused, question


def test_loco_shift_answers_the_floor_of_every_held_out_corpus():
    """The shift chosen from leave-one-corpus-out decisions answers ≥ floor of each corpus's answerable dev cases."""
    rng = np.random.default_rng(0)
    rows = []
    for corpus, offset in (("a", 0.0), ("b", 0.3), ("c", -0.2)):  # corpora whose scores run at different heights
        for i in range(60):
            answerable = i % 3 != 0
            top = rng.normal(0.6 if answerable else 0.35, 0.12) + offset
            rows.append(loco.Row(corpus, f"{corpus}{i}", "dev" if i % 2 else "test", "section" if answerable else
                                 "unanswerable-near", answerable, (top, rng.uniform(), rng.uniform())))
    for floor in (0.8, 0.95):
        held_out = loco.held_out_decisions(rows, [0, 1])
        shift = loco.answered_shift(held_out, floor)
        for corpus, (mine, values) in held_out.items():
            answered = [v - shift >= 0 for r, v in zip(mine, values) if r.answerable and r.split == "dev"]
            assert np.mean(answered) >= floor, corpus
    model = loco.calibrated(rows, [0, 1])
    assert model.weights[0] > 0 and model.weights[2] == 0.0  # a feature left out weighs nothing


def test_calibrate_writes_its_coefficients_into_the_settings_defaults_and_the_readme(tmp_path):
    from eval.calibrate import README, SETTINGS_FILE, write_readme, write_settings

    copy, readme = tmp_path / "settings.py", tmp_path / "README.md"
    copy.write_text(SETTINGS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    readme.write_text(README.read_text(encoding="utf-8"), encoding="utf-8")
    model = loco.Model(-1.25, tuple(float(i + 2) for i in range(len(FEATURES))))
    write_settings(model, "corpora x and y", copy)
    write_readme(model, readme)
    assert "| `RAG_ANSWER_BIAS` | `-1.250` |" in readme.read_text(encoding="utf-8")
    namespace: dict = {}
    exec(compile(copy.read_text(encoding="utf-8"), str(copy), "exec"), namespace)
    written = namespace["Settings"]()
    assert written.answer_bias == -1.25
    assert [getattr(written, f"answer_{n}_weight") for n in FEATURES] == [float(i + 2) for i in range(len(FEATURES))]
    assert "# Fitted on: corpora x and y" in copy.read_text(encoding="utf-8")


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
