"""The restored article keeps every seed sentence; the loader reads .md, .txt and .html folders."""
from __future__ import annotations

import re

import pytest

from conftest import FAQ_ARTICLE, SEED
from rag.corpus import CorpusError, load_corpus, load_document
from rag.sentences import split_sentences

# Page furniture of the scraped seed, not article text: an empty date label and a link.
PAGE_CHROME = {"Created on", "Read full bio of medha deb"}


def _table_rows(markdown: str) -> set[str]:
    rows = set()
    for line in markdown.splitlines():
        if line.startswith("|") and not re.fullmatch(r"[|\s:-]+", line):
            rows.add("".join(cell.strip() for cell in line.strip("|").split("|")))
    return rows


def test_every_seed_sentence_is_in_the_corpus_file():
    corpus_text = FAQ_ARTICLE.read_text(encoding="utf-8")
    flat = " ".join(corpus_text.split())
    doc = load_document(FAQ_ARTICLE, FAQ_ARTICLE.parent)
    rows = _table_rows(corpus_text)
    checked = 0
    for line in SEED.read_text(encoding="utf-8").splitlines():
        text = line.strip().lstrip("•").strip()
        if not text or text in PAGE_CHROME:
            continue
        if text.lower() == f"by {doc.meta['author']}".lower():
            continue  # the byline became the front matter's author
        if text in rows:  # a table row whose cells the seed ran together
            checked += 1
            continue
        text = re.sub(r"^[QA]:\s+", "", text)  # FAQ labels became a heading over its answer
        for sentence in split_sentences(text):
            assert sentence in flat, f"lost or reworded: {sentence!r}"
            checked += 1
    assert checked > 100
    assert len(rows) == 5  # header + 4 rows, rebuilt as a real table


def test_article_front_matter_and_structure():
    doc = load_document(FAQ_ARTICLE, FAQ_ARTICLE.parent)
    assert doc.title.startswith("Emotional Intimacy in Relationships")
    assert doc.meta["author"] == "Medha Deb"
    body = doc.text[doc.body_start:]
    assert body.count("\n### ") == 5, "each FAQ question is a heading"
    assert "| Aspect | Emotional Intimacy | Sexual Intimacy |" in body
    assert not re.search(r"^\s*•", body, re.M), "bullets are Markdown list items"


def test_loader_reads_markdown_text_and_html(small_corpus):
    docs = {d.doc_id: d for d in load_corpus(small_corpus)}
    assert set(docs) == {"gardening.md", "bread.txt", "bikes.html"}
    assert docs["gardening.md"].title == "Growing Tomatoes"
    assert docs["gardening.md"].meta["author"] == "A. Gardener"
    assert docs["bread.txt"].title == "bread"  # plain text has no title markup
    html = docs["bikes.html"]
    assert html.title == "Bicycle Maintenance"
    assert "## Chains" in html.text and "- Check tyre pressure every week." in html.text
    assert "alert(1)" not in html.text


def test_loader_errors_are_clear(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "missing")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    with pytest.raises(CorpusError, match="no .md, .txt or .html"):
        load_corpus(tmp_path)
