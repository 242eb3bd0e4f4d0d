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


ASPNET_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Caring for Orchids | Garden Club</title>
<meta name="author" content="R. Bloom"><link rel="stylesheet" href="/site.css"></head>
<body>
<form method="post" action="./Article.aspx?id=42" id="form1">
<div class="aspNetHidden">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKLTE2NjY4NzYxMmRkVIEWSTATEGARBAGE" />
</div>
<header><nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/club">Club news</a></li></ul></nav>
<div class="search"><label for="q">Search</label><input type="text" id="q" name="q">
<button type="submit">Go</button></div></header>
<main>
<h1>Caring for Orchids</h1>
<p>Orchids like bright, indirect light and should never stand in water.</p>
<h2>Watering</h2>
<ul><li>Water once a week in summer.</li><li>Let the bark dry out between waterings.</li></ul>
<h2>Newsletter</h2>
<p>Choose your region: <select name="region"><option>North</option><option>South</option></select></p>
<textarea name="comment">Write your comment here</textarea>
</main>
<footer><p>Garden Club 2024</p></footer>
</form>
</body></html>
"""


def test_html_inside_a_form_is_kept_and_only_form_controls_dropped(tmp_path):
    (tmp_path / "orchids.html").write_text(ASPNET_PAGE, encoding="utf-8")
    [doc] = load_corpus(tmp_path)
    body = doc.text[doc.body_start:]
    assert doc.title == "Caring for Orchids | Garden Club" and doc.meta["author"] == "R. Bloom"
    assert "# Caring for Orchids" in body
    assert "Orchids like bright, indirect light and should never stand in water." in body
    assert "- Let the bark dry out between waterings." in body
    assert "Choose your region:" in body
    for control_text in ("VIEWSTATE", "Go", "North", "Write your comment", "Club news"):
        assert control_text not in body, control_text


# Real pages forget to close a <nav> or an inline <svg> icon; what follows is the article.
UNCLOSED_PAGES = {
    "nav-in-header.html": """<html><head><title>Kites</title></head><body>
<header><a href="/"><svg class="logo" viewBox="0 0 10 10"><title>Logo</title><path d="M0 0h10v10z"/></a>
<nav><ul><li><a href="/">Home</a></li><li><a href="/shop">Shop</a></ul></header>
<article><h1>Flying Kites</h1><p>A steady wind of fifteen kilometres an hour lifts most kites.</p></article>
</body></html>""",
    "nav-before-main.html": """<html><head><title>Kites</title></head><body>
<nav><a href="/">Home</a> <a href="/shop">Shop</a>
<main><h1>Flying Kites</h1><p>A steady wind of fifteen kilometres an hour lifts most kites.</p></main>
</body></html>""",
    "icon-in-paragraph.html": """<html><head><title>Kites</title></head><body>
<h1>Flying Kites</h1><p><a class="share" href="#"><svg viewBox="0 0 8 8"><path d="M0 0l8 8"/></a>Share</p>
<p>A steady wind of fifteen kilometres an hour lifts most kites.</p>
</body></html>""",
}


@pytest.mark.parametrize("name", sorted(UNCLOSED_PAGES))
def test_html_after_an_unclosed_nav_or_svg_is_kept(tmp_path, name):
    (tmp_path / name).write_text(UNCLOSED_PAGES[name], encoding="utf-8")
    [doc] = load_corpus(tmp_path)
    body = doc.text[doc.body_start:]
    assert doc.title == "Kites", "an <svg>'s <title> is not the page title"
    assert "# Flying Kites" in body
    assert "A steady wind of fifteen kilometres an hour lifts most kites." in body
    assert "Home" not in body and "Shop" not in body and "Logo" not in body


def test_gzipped_articles_are_read_when_they_are_all_the_folder_has(tmp_path):
    import gzip

    only = tmp_path / "only"
    only.mkdir()
    (only / "kites.txt.gz").write_bytes(gzip.compress(b"Kites\n\nA kite climbs when the wind is steady.\n"))
    (only / "changelog.gz").write_bytes(gzip.compress(b"1.0: first release\n"))  # not an article
    docs = load_corpus(only)
    assert [(d.doc_id, d.title, d.format) for d in docs] == [("kites.txt.gz", "kites", "text")]
    assert "A kite climbs when the wind is steady." in docs[0].text

    both = tmp_path / "both"
    (both / "docs").mkdir(parents=True)
    (both / "docs" / "ch01.html").write_text("<h1>Kites</h1><p>A kite climbs when the wind is steady.</p>")
    (both / "docs" / "book.txt.gz").write_bytes(gzip.compress(b"Kites\n\nA kite climbs when the wind is steady.\n"))
    docs = load_corpus(both)
    assert [d.doc_id for d in docs] == ["docs/ch01.html"], "the compressed copy of the same book is not read twice"
    assert [s.path.name for s in docs.skipped] == ["book.txt.gz"] and "compressed copy" in docs.skipped[0].reason


def test_a_gzip_bomb_or_a_broken_gzip_is_skipped_with_a_reason(tmp_path):
    import gzip

    (tmp_path / "bomb.md.gz").write_bytes(gzip.compress(b"a" * 3_000_000))  # ~3 KB that expands to 3 MB
    (tmp_path / "broken.txt.gz").write_bytes(b"\x1f\x8b\x08\x00not gzip at all")
    (tmp_path / "fine.txt.gz").write_bytes(gzip.compress(b"Bread needs flour, water and salt.\n"))
    docs = load_corpus(tmp_path, max_file_bytes=1_000_000)
    assert [d.doc_id for d in docs] == ["fine.txt.gz"]
    reasons = {s.path.name: s.reason for s in docs.skipped}
    assert "expands to over 1,000,000 bytes" in reasons["bomb.md.gz"]
    assert "not a readable gzip file" in reasons["broken.txt.gz"]
