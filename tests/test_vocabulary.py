"""Typo correction against the corpus vocabulary: near misspellings fixed, real and short words kept, fast."""
from __future__ import annotations

import time

from rag.vocabulary import Vocabulary

ARTICLE = """Be a good listener: listening without judgment helps. Listen before you answer.
You receive the output of the query as rows. The database stores tables; to change a table, use ALTER TABLE.
Keep separate copies of each database file. Any change is logged. The chage command sets password expiry.
"""


def test_common_typos_are_corrected_to_the_corpus_spelling():
    vocab = Vocabulary([ARTICLE])
    fixes = {"listner": "listener", "recieve": "receive", "databse": "database", "seperate": "separate",
             "chnage": "change", "tabels": "tables", "ouput": "output"}
    assert {typo: vocab.correct(typo) for typo in fixes} == fixes  # "chnage" is one edit from "chage" too


def test_two_edits_reach_a_long_word_and_the_more_frequent_word_wins_a_tie():
    vocab = Vocabulary(["We listen. Listen again, and listen once more. Choose your words."])
    assert vocab.correct("listner") == "listen"  # a swap and a dropped letter: two edits
    assert vocab.correct("chooze") == "choose"


def test_real_english_short_and_known_words_are_never_changed():
    vocab = Vocabulary([ARTICLE])
    for word in ("cable", "tablet", "husband", "listen", "teh", "dta", "table", "chage"):
        assert vocab.correct(word) is None, word
    text = "my husband wants a cable for the tablet"
    assert vocab.correct_text(text) == text


def test_correction_keeps_the_writer_s_capitals():
    vocab = Vocabulary([ARTICLE])
    assert vocab.correct_text("Databse backups: DATABSE or databse?") == "Database backups: DATABASE or database?"


def test_correction_is_fast_on_a_large_vocabulary():
    from spellchecker import SpellChecker

    words = sorted(SpellChecker().word_frequency.keys())[:30000]
    vocab = Vocabulary([" ".join(words)])
    typos = ["qwertyuiop", "abcdefghij", "sdfghjkl", "mnbvcxzas", "lkjhgfdsae"] * 4
    started = time.perf_counter()
    for typo in typos:
        vocab.correct(typo)
    per_word_ms = (time.perf_counter() - started) * 1000 / len(typos)
    assert per_word_ms < 10, f"{per_word_ms:.1f} ms per word"


def test_a_misspelt_form_the_corpus_lacks_becomes_the_english_word_of_the_corpus_s_family():
    import Stemmer

    stem = Stemmer.Stemmer("english").stemWord
    vocab = Vocabulary(["You receive the output. Keep copies separate. Encourage each other."])
    fixes = {"recieving": "receiving", "seperately": "separately", "encuraging": "encouraging"}
    assert {typo: vocab.correct(typo) for typo in fixes} == fixes
    assert all(stem(word) in {stem(w) for w in vocab.counts} for word in fixes.values())
    # An English word whose family the corpus lacks is no correction: the typo stays as written.
    assert vocab.correct("boyfreind") is None
