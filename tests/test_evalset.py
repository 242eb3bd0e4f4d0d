"""The eval set is well-formed, covers the kinds the issue asks for, and quotes only the corpus."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from conftest import CORPUS, ROOT
from eval.evalset import DEFAULT_SET, EvalSetError, load_eval_set
from rag.corpus import load_corpus


@pytest.fixture(scope="module")
def cases():
    return load_eval_set(DEFAULT_SET, [d.text for d in load_corpus(CORPUS)])


def test_set_has_every_kind(cases):
    kinds = Counter(c.kind for c in cases)
    assert kinds["faq"] == 5 and kinds["faq-reworded"] == 15
    assert kinds["multi"] >= 10 and kinds["adversarial"] == 5 and kinds["table"] >= 8
    assert kinds["follow-up"] >= 10 and all(c.context for c in cases if c.kind == "follow-up")
    assert kinds["unanswerable-far"] + kinds["unanswerable-near"] >= 15
    assert kinds["unanswerable-far"] >= 7 and kinds["unanswerable-near"] >= 7
    assert all(len(c.evidence) >= 2 for c in cases if c.kind == "multi")
    assert all(c.reference for c in cases if c.answerable)
    assert any(len(c.question) >= 1400 and c.answerable for c in cases if c.kind == "adversarial")


def test_bad_quote_is_rejected(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "question": "q?", "kind": "faq", "evidence": ["Not in the article at all."],
                               "reference": "r"}) + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="not in the corpus"):
        load_eval_set(bad, [d.text for d in load_corpus(CORPUS)])
    bad.write_text('{"id": "x", "question": "q?", "kind": "nonsense"}\n', encoding="utf-8")
    with pytest.raises(EvalSetError, match="unknown kind"):
        load_eval_set(bad)


def test_no_eval_question_leaks_into_code_or_index(cases):
    code = "\n".join(p.read_text(encoding="utf-8").lower() for p in (ROOT / "rag").rglob("*.py"))
    corpus = "\n".join(d.text.lower() for d in load_corpus(CORPUS))
    for case in cases:
        question = " ".join(case.question.lower().split())
        if len(question) < 12:
            continue  # "?" and the like say nothing
        assert question not in code, f"eval question {case.id} appears under rag/"
        if case.kind != "faq":  # the FAQ questions are the article's own headings
            assert question not in corpus, f"eval question {case.id} appears in the corpus"
