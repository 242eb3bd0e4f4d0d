"""The Debian doc pages of eval/corpora.toml, as installed: every evidence quote in one passage, no furniture."""
from __future__ import annotations

import re

import pytest

from eval.corpora import load_catalogue
from eval.evalset import load_eval_set, normalise
from eval.html_compare import is_furniture
from rag.corpus import load_corpus
from rag.passages import MAX_CHARS, split_corpus

HTML_CORPORA = {name: c for name, c in load_catalogue().items() if c.files}


@pytest.mark.parametrize("name", sorted(HTML_CORPORA))
def test_installed_pages_keep_every_quote_and_no_furniture(tmp_path, name):
    corpus = HTML_CORPORA[name]
    if corpus.missing():
        pytest.skip(f"needs Debian's {corpus.package} (make test installs it)")
    docs = load_corpus(corpus.materialize(tmp_path))
    passages = split_corpus(docs)
    held = [normalise(p.text) for p in passages]
    quotes = [q for path in corpus.sets for case in load_eval_set(path) for q in case.evidence]
    lost = [q for q in quotes if not any(normalise(q) in text for text in held)]
    assert not lost, f"{len(lost)} of {len(quotes)} evidence quotes are in no passage: {lost[:3]}"
    headings = {d.doc_id: set(re.findall(r"^#{1,6}\s+(.+?)\s*$", d.text, re.M)) for d in docs}
    furniture = [p.text for p in passages if is_furniture(p.text, headings[p.doc_id])]
    assert not furniture, furniture[:5]
    per_section: dict[tuple[str, str], int] = {}
    for p in passages:
        per_section[p.doc_id, p.section] = per_section.get((p.doc_id, p.section), 0) + 1
    labels = [p.text for p in passages if len(p.text) < 40 and not re.search(r"[.!?…:)\"'”’`]$", p.text)
              and per_section[p.doc_id, p.section] > 1]
    assert not labels, f"label-only passages: {labels[:5]}"
    assert all(len(p.text) <= MAX_CHARS for p in passages if p.kind != "row")
