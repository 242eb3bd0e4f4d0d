"""Assistant.ask over the real article: FAQ answers cited first, off-topic refused, bad input rejected."""
from __future__ import annotations

import re

import pytest

from rag import Answer, Assistant, QuestionError
from rag.answer_checks import answer_defects, pieces
from rag.composer import REFUSAL


def test_faq_question_cites_its_answer_first(assistant):
    answer = assistant.ask("How long does it take to build emotional intimacy?")
    assert isinstance(answer, Answer) and not answer.refused
    first = answer.citations[0]
    assert first.n == 1
    assert first.text.startswith("There’s no fixed timeline.")
    assert first.section.endswith("How long does it take to build emotional intimacy?")
    assert first.source.startswith("Emotional Intimacy in Relationships")
    assert 0 < first.score <= 1


def test_every_answer_sentence_is_verbatim_in_the_passage_it_cites(assistant):
    for question in ["Can emotional intimacy exist without romance or sex?",
                     "What gets in the way of emotional closeness?",
                     "Why does emotional intimacy matter in a relationship?"]:
        answer = assistant.ask(question)
        assert not answer.refused
        by_n = {c.n: c for c in answer.citations}
        quoted = [p for p in pieces(answer) if not p.line]
        assert quoted, answer.text
        for piece in quoted:
            assert piece.text in {q.text for q in piece.citation.quotes}, "each quote is a highlighted quote"
        for c in answer.citations:
            assert all(c.text[q.start:q.end] == q.text for q in c.quotes)
        assert sorted(by_n) == list(range(1, len(by_n) + 1))
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
        assert markers == set(by_n), "every citation is used by a marker"
        assert answer_defects(answer) == []


def test_off_topic_questions_are_refused_with_the_nearest_topics_as_suggestions(assistant):
    for question in ["What is the capital of France?", "How do I file my taxes?"]:
        answer = assistant.ask(question)
        assert answer.refused and answer.citations == []
        assert answer.text.startswith(REFUSAL + " Closest topics: “"), answer.text
        assert 2 <= len(answer.suggestions) <= 3
        assert all(f"“{s}”" in answer.text for s in answer.suggestions)
        headings = {p.section.split(" > ")[-1] for p in assistant.store.passages()}
        assert set(answer.suggestions) <= headings, "suggestions are section headings, never quoted sentences"
        assert answer.to_dict()["suggestions"] == answer.suggestions


@pytest.mark.parametrize("bad, reason", [("", "empty"), ("   \n\t ", "empty"), ("x" * 4001, "limit"),
                                         ("hello\x00world", "control"), (None, "text")])
def test_bad_questions_raise_a_clear_error(assistant, bad, reason):
    with pytest.raises(QuestionError, match=reason):
        assistant.ask(bad)


def test_load_builds_a_missing_index_then_reuses_it(small_corpus, model_data, monkeypatch):
    monkeypatch.setenv("RAG_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("RAG_DATA_DIR", str(model_data))
    first = Assistant.load(quiet=True)
    assert first.store.count() == 8
    answer = first.ask("How often should I feed a sourdough starter?")
    assert not answer.refused
    assert answer.citations[0].source == "bread"
    assert first.refresh_index() is None  # nothing changed: no re-ingest
    assert first.example_questions() == []
    assert first.sources() == ["Bicycle Maintenance", "Growing Tomatoes", "bread"]


def test_example_questions_come_from_faq_headings(assistant):
    examples = assistant.example_questions()
    assert len(examples) == 5 and all(q.endswith("?") for q in examples)
    assert examples[-1] == "How long does it take to build emotional intimacy?"


def test_stream_yields_the_answer_in_pieces_then_the_answer(assistant):
    for question in ["How long does it take to build emotional intimacy?", "What is the capital of France?"]:
        *pieces, answer = list(assistant.stream(question))
        assert isinstance(answer, Answer) and pieces and all(isinstance(p, str) for p in pieces)
        assert "".join(pieces) == answer.text == assistant.ask(question).text
    with pytest.raises(QuestionError):
        assistant.stream("   ")


def test_a_two_part_question_is_answered_part_by_part(assistant):
    answer = assistant.ask("Is emotional intimacy possible without sex, and how long does it take to build?")
    sections = [c.section for c in answer.citations]
    assert sections[0].endswith("Can emotional intimacy exist without romance or sex?"), "first part first"
    assert sections[-1].endswith("How long does it take to build emotional intimacy?"), sections


def test_a_passage_that_introduces_a_list_is_answered_with_the_list(assistant):
    answer = assistant.ask("How can partners deepen emotional intimacy?")
    items = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert len(items) >= 2, answer.text
    cited = {c.n: c for c in answer.citations}
    for line in items:
        n = int(re.search(r"\[(\d+)\]$", line).group(1))
        assert cited[n].section.endswith("How to Build and Deepen Emotional Intimacy")
        assert line[2:].rsplit(" [", 1)[0] in cited[n].text
