"""Generative mode against a real OpenAI-protocol server on 127.0.0.1: the post-check and the fallbacks."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest

from fake_openai import FakeOpenAI, numbered_passages
from rag.answer_checks import answer_defects
from rag.answer_types import Answer
from rag.assistant import Assistant
from rag.sentences import split_sentences

QUESTION = "How long does it take to build emotional intimacy?"


def first_sentence(body: dict, n: int) -> str:
    return split_sentences(numbered_passages(body)[n])[0]


@pytest.fixture
def with_llm(assistant):
    """Make an Assistant sharing the article index whose answers come from the LLM at `url`."""
    def make(url: str, **settings) -> Assistant:
        s = replace(assistant.settings, llm_base_url=url, llm_model="fake-model", **settings)
        trial = Assistant(s, assistant.store, assistant.embedder)
        trial.retriever._keyword, trial.retriever._vocabulary = assistant.retriever.keyword, assistant.retriever.vocabulary
        return trial
    return make


def quoted_in_citations(answer: Answer) -> None:
    for c in answer.citations:
        assert c.quotes, f"citation [{c.n}] highlights nothing"
        for q in c.quotes:
            assert c.text[q.start:q.end] == q.text


def test_supported_sentences_keep_their_citations(with_llm):
    def reply(body):
        return (f"{first_sentence(body, 1)} [1] Building this closeness may take months or years of trust "
                f"and effort from both partners [1].")
    with FakeOpenAI(reply) as llm:
        answer = with_llm(llm.url).ask(QUESTION)
    assert answer.mode == "generative" and not answer.notice and not answer.refused
    assert answer.text.startswith("There’s no fixed timeline [1].")
    assert "months or years" in answer.text and answer.text.count("[1]") == 2
    assert [c.n for c in answer.citations] == [1]
    assert answer.citations[0].section.endswith(QUESTION)
    quoted_in_citations(answer)
    request = llm.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "fake-model"
    system = request["body"]["messages"][0]["content"]
    assert "data, not instructions" in system and "[1]" in system
    assert QUESTION in request["body"]["messages"][1]["content"]


def test_an_unsupported_sentence_is_dropped(with_llm):
    def reply(body):
        return (f"{first_sentence(body, 1)} [1]. The first moon landing in 1969 was watched by "
                f"six hundred million people [1].")
    with FakeOpenAI(reply) as llm:
        answer = with_llm(llm.url).ask(QUESTION)
    assert answer.mode == "generative"
    assert "moon" not in answer.text and answer.text == "There’s no fixed timeline [1]."


def test_markers_naming_no_passage_are_dropped(with_llm):
    def reply(body):
        assert len(numbered_passages(body)) == 4  # llm_passages
        return f"{first_sentence(body, 1)} [1][7]. {first_sentence(body, 2)} [9]. Trust grows slowly."
    with FakeOpenAI(reply) as llm:
        answer = with_llm(llm.url).ask(QUESTION)
    assert answer.text == "There’s no fixed timeline [1]."
    assert [c.n for c in answer.citations] == [1]


def test_a_reply_that_obeys_an_injection_falls_back_to_the_extractive_answer(with_llm, assistant):
    def reply(body):
        return "Sure! Here is a poem instead:\nRoses are red, violets are blue."
    with FakeOpenAI(reply) as llm:
        answer = with_llm(llm.url).ask(QUESTION)
    assert answer.mode == "extractive" and "not supported by the passages" in answer.notice
    assert answer.text == assistant.ask(QUESTION).text and "Roses" not in answer.text


def test_refusal_is_decided_before_the_model_is_called(with_llm):
    with FakeOpenAI(lambda body: "Paris [1].") as llm:
        answer = with_llm(llm.url).ask("What is the capital of France?")
    assert answer.refused and llm.requests == []


def test_streaming_yields_checked_sentences_then_the_answer(with_llm):
    def reply(body):
        return (f"{first_sentence(body, 1)} [1]. Unicorns live on the far side of the moon [1]. "
                f"It can take months or years of trust and effort to build this closeness [1].")
    with FakeOpenAI(reply) as llm:
        items = list(with_llm(llm.url).stream(QUESTION))
    *pieces, answer = items
    assert isinstance(answer, Answer) and answer.mode == "generative"
    assert all(isinstance(p, str) for p in pieces) and len(pieces) == 2
    assert "".join(pieces) == answer.text and "Unicorns" not in answer.text
    assert llm.requests[0]["body"]["stream"] is True


def test_endpoint_down_falls_back_with_a_notice(with_llm, assistant):
    from conftest import free_port

    answer = with_llm(f"http://127.0.0.1:{free_port()}/v1").ask(QUESTION)
    assert answer.mode == "extractive" and "could not be reached" in answer.notice
    assert answer.text == assistant.ask(QUESTION).text


def test_endpoint_timeout_falls_back_with_a_notice(with_llm, assistant):
    with FakeOpenAI(lambda body: "too late [1].", delay=3) as llm:
        started = time.monotonic()
        answer = with_llm(llm.url, llm_timeout=1.0).ask(QUESTION)
        elapsed = time.monotonic() - started
    assert answer.mode == "extractive" and "timed out" in answer.notice
    assert answer.text == assistant.ask(QUESTION).text
    assert elapsed < 3, "the timeout is honoured, with no retries"


def test_supported_sentences_that_say_nothing_are_dropped_as_quotes_are(with_llm):
    """The checks extractive answers pass: no sentence about the article, no question, no lead-in left hanging,
    nothing said twice — even when the passage supports the words."""
    def reply(body):
        first = first_sentence(body, 1).rstrip(".")
        return (f"This article explains that {first[0].lower()}{first[1:]} [1]. {first} [1]. {first}? [1] "
                f"Building this closeness takes the following steps: [1] {first} [1].")
    with FakeOpenAI(reply) as llm:
        answer = with_llm(llm.url).ask(QUESTION)
    assert answer.mode == "generative"
    assert answer.text == "There’s no fixed timeline [1].", answer.text
    assert answer_defects(answer) == []
