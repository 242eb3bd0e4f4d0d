"""Passages are paragraphs, items, FAQ answers or table rows; every sentence lands in exactly one."""
from __future__ import annotations

import re

from conftest import FAQ_ARTICLE
from rag.corpus import Document, load_corpus, load_document
from rag.passages import MAX_CHARS, split_document
from rag.sentences import split_sentences


def _article():
    doc = load_document(FAQ_ARTICLE, FAQ_ARTICLE.parent)
    return doc, split_document(doc)


def test_every_article_sentence_lands_in_exactly_one_passage():
    doc, passages = _article()
    body_lines = [ln for ln in doc.text[doc.body_start:].splitlines()
                  if ln.strip() and not ln.startswith(("#", "|"))]
    sentences = [s for ln in body_lines for s in split_sentences(re.sub(r"^- ", "", ln))]
    assert len(sentences) > 80
    for sentence in sentences:
        at = doc.text.index(sentence, doc.body_start)
        holders = [p for p in passages if p.start <= at and at + len(sentence) <= p.end]
        assert len(holders) == 1, f"{sentence!r} is in {len(holders)} passages"
        assert sentence in holders[0].text


def test_passages_are_small_verbatim_and_located():
    doc, passages = _article()
    assert all(len(p.text) <= MAX_CHARS for p in passages)
    for p in passages:
        located = doc.text[p.start:p.end]
        assert p.text.endswith(located), "a passage's span points at its text in the file"
        for line in p.text.splitlines():
            assert line in doc.text, "passage text is verbatim from the corpus"
    assert len({p.id for p in passages}) == len(passages)


def test_faq_answers_sit_under_their_question():
    _, passages = _article()
    faq = [p for p in passages if p.section.startswith("Frequently Asked Questions")]
    assert len(faq) == 5
    timeline = next(p for p in faq if p.section.endswith("How long does it take to build emotional intimacy?"))
    assert timeline.text.startswith("There’s no fixed timeline.")
    assert timeline.kind == "paragraph"


def test_table_rows_carry_their_header():
    _, passages = _article()
    rows = [p for p in passages if p.kind == "row"]
    assert len(rows) == 4
    for row in rows:
        assert row.text.startswith("| Aspect | Emotional Intimacy | Sexual Intimacy |\n")
        assert row.section == "Emotional Intimacy vs. Sexual Intimacy"
    assert "Definition" in rows[0].text.splitlines()[-1]


def test_list_items_are_one_passage_each():
    _, passages = _article()
    barriers = [p for p in passages if p.section == "Barriers to Emotional Intimacy" and p.kind == "item"]
    assert [p.text.split(":")[0] for p in barriers] == [
        "Fear of vulnerability", "Poor communication", "Unresolved conflicts",
        "Stress and life transitions", "Different expectations"]


def test_long_paragraph_splits_between_sentences():
    sentences = [f"Sentence number {i} talks about a topic at some considerable length for testing." for i in range(30)]
    text = "# Title\n\n## Part\n\n" + " ".join(sentences) + "\n"
    doc = Document(doc_id="long.md", title="Long", text=text, format="markdown")
    passages = split_document(doc)
    assert len(passages) > 2
    assert all(len(p.text) <= MAX_CHARS for p in passages)
    rebuilt = [s for p in passages for s in split_sentences(p.text)]
    assert rebuilt == sentences


def test_small_corpus_sections(small_corpus):
    docs = {d.doc_id: d for d in load_corpus(small_corpus)}
    garden = split_document(docs["gardening.md"])
    assert [p.section for p in garden] == ["Sunlight", "Watering", "Watering"]
    bread = split_document(docs["bread.txt"])
    assert bread[-1].section == "Feeding the starter"
    bikes = split_document(docs["bikes.html"])
    assert {p.section for p in bikes} == {"Chains", "Tyres"}
    assert bikes[-1].text == "Replace tyres when the tread is worn flat."
