"""Passages are paragraphs, items, FAQ answers or table rows; every sentence lands in exactly one."""
from __future__ import annotations

import re

from conftest import FAQ_ARTICLE
from rag.corpus import Document, load_corpus, load_document
from rag.passages import MAX_CHARS, split_corpus, split_document
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


def _md(text: str, doc_id: str = "page.md", title: str = "Page") -> Document:
    return Document(doc_id=doc_id, title=title, text=text, format="markdown")


def _verbatim(doc, passages):
    for p in passages:
        assert doc.text[p.start:p.end] == p.text or p.text.endswith(doc.text[p.start:p.end])


HYGIENE = """# Kites

## Choosing a kite

Note

A delta kite flies in light wind and is the easiest to launch.

Popular beginner kites include:

- Delta

- Diamond

- Sled

To launch, hold the line and walk backwards:

```
# no running needed
let the wind lift it
```

A better way:

Ask a friend to hold the kite twenty metres downwind.

Kites fly best between ten and thirty kilometres an hour.

See also

## Safety

[2]

Never fly near power lines, airports or roads.

- Check the line for frays before each flight.
- Keep a knife handy to cut a tangled line.
"""


def test_no_passage_is_only_a_label_or_marker(monkeypatch):
    monkeypatch.setattr("rag.passages.MERGE_TARGET", 0)  # labels alone, without joining short paragraphs
    doc = _md(HYGIENE)
    passages = split_document(doc)
    _verbatim(doc, passages)
    texts = [p.text for p in passages]
    for label in ("Note", "A better way:", "See also", "[2]", "Delta", "Popular beginner kites include:"):
        assert label not in texts, f"{label!r} is a passage on its own"
    assert texts[0] == "Note\n\nA delta kite flies in light wind and is the easiest to launch."
    assert texts[1] == "Popular beginner kites include:\n\n- Delta\n\n- Diamond\n\n- Sled", "bare names run together"
    assert texts[2].startswith("To launch, hold the line and walk backwards:\n\n```\n# no running needed")
    assert texts[3] == "A better way:\n\nAsk a friend to hold the kite twenty metres downwind."
    assert texts[4].endswith("thirty kilometres an hour.\n\nSee also"), "a trailing label joins the passage before it"
    assert "[2]" not in " ".join(texts), "a bare marker is dropped"
    assert [p.section for p in passages] == ["Choosing a kite"] * 5 + ["Safety"] * 3
    assert [p.kind for p in passages][-2:] == ["item", "item"], "items that say something stay one passage each"


def test_a_shell_comment_in_code_is_not_a_heading():
    doc = _md("# Backups\n\n## Restoring\n\nRun this:\n\n```\n# restore everything\ntar xf backup.tar\n```\n\n"
              "The files come back with their owners.\n")
    passages = split_document(doc)
    assert {p.section for p in passages} == {"Restoring"}, "the only real H1 is the title, left out of paths"


def test_blocks_of_a_joined_passage_are_its_sentences(monkeypatch):
    monkeypatch.setattr("rag.passages.MERGE_TARGET", 0)
    doc = _md(HYGIENE)
    names = split_document(doc)[1]
    assert split_sentences(names.text) == ["Popular beginner kites include:", "Delta", "Diamond", "Sled"]
    code = split_document(doc)[2]
    assert split_sentences(code.text)[1] == "```\n# no running needed\nlet the wind lift it\n```"


def test_a_footer_repeated_on_every_page_is_no_passage():
    docs = [_md(f"# Page {i}\n\nParagraph {i} tells something useful about topic {i}.\n\n"
                f"This page last modified on 2024-0{i}-1{i} 10:0{i}:00 UTC\n", doc_id=f"p{i}.md", title=f"Page {i}")
            for i in range(1, 5)]
    passages = split_corpus(docs)
    assert [p.text for p in passages] == [f"Paragraph {i} tells something useful about topic {i}." for i in range(1, 5)]
    alone = split_document(docs[0])
    assert "last modified" in alone[-1].text, "one page alone cannot tell its footer from its content"


def test_a_long_code_block_is_cut_between_lines():
    lines = [f"    result_{i} = compute(value_{i}, factor={i})  # step {i}" for i in range(40)]
    doc = _md("# Code\n\n## Loop\n\n```\ndef run():\n" + "\n".join(lines) + "\n```\n")
    passages = split_document(doc)
    assert len(passages) > 1 and all(len(p.text) <= MAX_CHARS for p in passages)
    _verbatim(doc, passages)
    for p in passages:
        for line in p.text.splitlines():
            assert line in ("```", "def run():") or line in lines, f"a code line was cut: {line!r}"


def test_short_paragraphs_of_a_section_join_up_to_the_target():
    from rag.passages import MERGE_TARGET
    short = ["Kites need wind.", "A sled kite has no spars.", "Deltas climb steeply in a light breeze.",
             "Box kites are stable in gusts but rather heavy to carry."]
    long = "Line tension tells you how hard the wind pulls; " * 8
    doc = _md("# Kites\n\n## Types\n\n" + "\n\n".join(short) + "\n\n" + long.strip() + "\n\n## Wind\n\n"
              "Gusts are harder than steady wind.\n\nA windsock shows the direction.\n")
    passages = split_document(doc)
    _verbatim(doc, passages)
    assert passages[0].text == "\n\n".join(short), "short paragraphs of one section are one passage"
    assert passages[1].text == long.strip(), "a paragraph over the target stays alone"
    assert [p.section for p in passages] == ["Types", "Types", "Wind"], "never across sections"
    assert all(len(p.text) <= 2 * MERGE_TARGET for p in passages if "\n\n" in p.text)


RENDERED_MANUAL = """Chapter\u00a01.\u00a0Backups

    Backups keep a copy of your files somewhere else, so that one broken
    disk or one mistaken command does not lose your work for good.

1.1.\u00a0Tools

1.1.1.\u00a0Making an archive

    The tar command packs a folder into one archive file that you can
    copy to another disk and keep there for as long as you need it.

    $ tar czf backup.tar.gz ~/work

    Note

    Store the archive on another disk; a copy on the same disk is lost
    together with the disk.

1.1.2.\u00a0Restoring

    Unpack the archive into an empty folder first and compare it with
    what you have, before you overwrite anything you still need.

    Table\u00a01.1.\u00a0Restore options
"""


def test_a_manual_rendered_as_text_keeps_its_numbered_sections():
    doc = Document(doc_id="backups.txt", title="backups", text=RENDERED_MANUAL, format="text")
    passages = split_document(doc)
    _verbatim(doc, passages)
    sections = {p.text.split()[0]: p.section for p in passages}
    assert sections["Backups"] == "Chapter 1. Backups"
    assert sections["The"].endswith("1.1. Tools > 1.1.1. Making an archive"), sections
    assert sections["Unpack"].endswith("1.1. Tools > 1.1.2. Restoring"), "a numbered heading closes its sibling"
    assert not any("tar czf" in p.section or p.section.endswith("Note") for p in passages), \
        "a command or a label indented like the body is not a heading"
    note = next(p for p in passages if "Store the archive" in p.text)
    assert re.search(r"Note\s+Store the archive", note.text), "a label is read with the paragraph it introduces"
    assert all(p.text.strip() != "Note" for p in passages)


def test_underlined_text_headings_are_sections_without_their_underline():
    text = ("Kite flying\n===========\n\nKites need a steady wind of ten to thirty kilometres an hour to climb.\n\n"
            "Safety\n------\n\nNever fly a kite near power lines or in a thunderstorm, whatever the wind.\n")
    passages = split_document(Document(doc_id="kites.txt", title="kites", text=text, format="text"))
    assert [(p.section, p.text[:5]) for p in passages] == [("Kite flying", "Kites"), ("Kite flying > Safety", "Never")]
    assert not any("===" in p.text or "---" in p.text for p in passages)


def test_a_text_table_row_is_never_cut_between_its_lines():
    rows = "".join(f"    |cmd{i} > |redirect the output of command {i} to a file  |\n"
                   f"    |foo{i}    |called foo{i}, overwriting what it held       |\n"
                   "    |---------+-----------------------------------------------|\n" for i in range(12))
    text = ("1.1.\u00a0Redirection\n\n    The shell sends a command's output where you ask it to, with these\n"
            "    operators, each shown with an example file name.\n\n"
            "    +----------------------------------------------------------+\n" + rows +
            "    +----------------------------------------------------------+\n")
    doc = Document(doc_id="shell.txt", title="shell", text=text, format="text")
    passages = split_document(doc, max_chars=300)
    _verbatim(doc, passages)
    for i in range(12):
        holding = [p for p in passages if f"|cmd{i} >" in p.text]
        assert len(holding) == 1 and f"|called foo{i}, overwriting what it held" in holding[0].text, \
            f"row {i} was cut: {[p.text for p in holding]}"


def test_an_unnumbered_heading_among_numbered_ones_belongs_to_the_last_of_them():
    text = ("1.1.\u00a0Tools\n\n    The tar command packs a folder into one archive file for safe keeping.\n\n"
            "A note on compression\n\n    Compressing with gzip makes the archive several times smaller here.\n")
    passages = split_document(Document(doc_id="tools.txt", title="tools", text=text, format="text"))
    assert [p.section for p in passages] == ["1.1. Tools", "1.1. Tools > A note on compression"], \
        "a line starting with a one-letter word is not a numbered heading"
