"""The OpenAI-compatible /v1 over real HTTP on 127.0.0.1, driven by the official `openai` client."""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import replace

import openai
import pytest

from conftest import ServedInThread

QUESTION = "How long does it take to build emotional intimacy?"
OFF_TOPIC = "What is the capital of France?"


def variant(assistant, **changes):
    """The session's Assistant with other settings, sharing its index and models (nothing is re-ingested)."""
    from rag.assistant import Assistant

    other = Assistant(replace(assistant.settings, **changes), assistant.store, assistant.embedder)
    other.retriever._keyword, other.retriever._vocabulary = assistant.retriever.keyword, assistant.retriever.vocabulary
    return other


@pytest.fixture(scope="module")
def site(assistant):
    from rag.web import create_app

    with ServedInThread(create_app(variant(assistant, api_rate_limit=0))) as served:
        yield served


def client(url: str, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=kwargs.pop("api_key", "unused"), max_retries=0, timeout=60,
                         **kwargs)


def post(url: str, body: bytes, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_models_lists_rag(site):
    models = client(site.url).models.list()
    assert [m.id for m in models.data] == ["rag"]
    assert client(site.url).models.retrieve("rag").owned_by == "rag"
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client(site.url).models.retrieve("gpt-4o")


def test_a_completion_is_the_answer_then_its_numbered_sources(site, assistant):
    expected = assistant.ask(QUESTION)
    reply = client(site.url).chat.completions.create(model="rag", temperature=0.2, messages=[
        {"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": QUESTION}])
    choice = reply.choices[0]
    assert reply.model == "rag" and choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content
    answer, _, sources = content.partition("\n\nSources:\n")
    assert answer == expected.text and "[1]" in answer
    cited = expected.citations[0]
    assert f"[1] {cited.source} › {cited.section}" in sources
    assert "> " + cited.text.splitlines()[0] in sources, "each passage follows its number, quoted"
    assert reply.refused is False and reply.citations == [c.to_dict() for c in expected.citations]


def test_a_streamed_completion_arrives_in_pieces_and_joins_into_the_plain_one(site):
    messages = [{"role": "user", "content": QUESTION}]
    plain = client(site.url).chat.completions.create(model="rag", messages=messages)
    chunks = list(client(site.url).chat.completions.create(model="rag", messages=messages, stream=True))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) >= 3, "the answer streams sentence by sentence, then the sources"
    assert "".join(pieces) == plain.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[-1].choices[0].finish_reason == "stop"
    with_sources = [c for c in chunks if (c.model_extra or {}).get("citations")]
    assert len(with_sources) == 1 and with_sources[0].citations == plain.citations
    assert with_sources[0].choices[0].delta.content.startswith("\n\nSources:\n")
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)


def test_earlier_user_messages_are_the_context_of_a_follow_up(site):
    reply = client(site.url).chat.completions.create(model="rag", messages=[
        {"role": "user", "content": "How can couples build emotional intimacy?"},
        {"role": "assistant", "content": "Share your feelings openly. [1]"},
        {"role": "user", "content": [{"type": "text", "text": "and how long does that take?"}]}])
    assert "no fixed timeline" in reply.choices[0].message.content
    alone = client(site.url).chat.completions.create(model="rag", messages=[
        {"role": "user", "content": "and how long does that take?"}])
    assert "no fixed timeline" not in alone.choices[0].message.content, "without the context it is another question"


@pytest.mark.parametrize("stream", [False, True])
def test_a_refusal_is_an_ordinary_message(site, stream):
    from rag.composer import REFUSAL

    reply = client(site.url).chat.completions.create(model="rag", stream=stream,
                                                     messages=[{"role": "user", "content": OFF_TOPIC}])
    if stream:
        chunks = list(reply)
        content = "".join(c.choices[0].delta.content or "" for c in chunks)
        final = next(c for c in chunks if (c.model_extra or {}).get("citations") is not None)
        finish = chunks[-1].choices[0].finish_reason
    else:
        content, final, finish = reply.choices[0].message.content, reply, reply.choices[0].finish_reason
    assert content.startswith(REFUSAL) and "Closest topics" in content and finish == "stop"
    assert final.refused is True and final.citations == []


@pytest.mark.parametrize("messages, words", [
    ([{"role": "user", "content": "   "}], "empty"),
    ([{"role": "user", "content": "x" * 5000}], "limit"),
    ([{"role": "user", "content": "nul\x00byte"}], "control"),
    ([{"role": "system", "content": "You are helpful."}], "no user message"),
])
@pytest.mark.parametrize("stream", [False, True])
def test_questions_it_will_not_answer_get_a_400_the_client_shows(site, messages, words, stream):
    with pytest.raises(openai.BadRequestError) as caught:
        client(site.url).chat.completions.create(model="rag", messages=messages, stream=stream)
    assert words in caught.value.message and "Traceback" not in caught.value.message


def test_other_models_and_malformed_bodies_get_openai_shaped_errors(site):
    with pytest.raises(openai.NotFoundError, match="'gpt-4o' does not exist"):
        client(site.url).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    url = site.url + "/v1/chat/completions"
    for body, words in ((b"{not json", "not valid JSON"), (b'{"model": "rag"}', "'messages' is required"),
                        (b'{"model": "rag", "messages": []}', "'messages'"),
                        (b'{"model": "rag", "messages": [{"role": "user", "content": 7}]}', "'messages.0.content")):
        status, payload = post(url, body)
        assert status == 400 and words in payload["error"]["message"], payload
        assert payload["error"]["type"] == "invalid_request_error"
    status, payload = post(url, b"x" * 100_000)
    assert status == 413 and "limit" in payload["error"]


def test_v1_shares_the_rate_limit_of_the_other_faces(assistant):
    from rag.web import create_app

    with ServedInThread(create_app(variant(assistant, api_rate_limit=2))) as served:
        for _ in range(2):
            client(served.url).chat.completions.create(model="rag", messages=[{"role": "user", "content": QUESTION}])
        with pytest.raises(openai.RateLimitError, match="too many questions") as caught:
            client(served.url).chat.completions.create(model="rag", messages=[{"role": "user", "content": QUESTION}])
        assert int(caught.value.response.headers["Retry-After"]) > 0
        status, payload = post(served.url + "/api/ask", json.dumps({"question": QUESTION}).encode())
        assert status == 429, "the budget /v1 spent is the one /api/ask draws on"


def test_with_auth_an_openai_client_passes_user_colon_password_as_its_key(assistant):
    from rag.web import create_app

    with ServedInThread(create_app(variant(assistant, auth="reader:s3cret", api_rate_limit=0))) as served:
        reply = client(served.url, api_key="reader:s3cret").chat.completions.create(
            model="rag", messages=[{"role": "user", "content": QUESTION}])
        assert reply.citations
        for key in ("reader:nope", "s3cret", ""):
            with pytest.raises(openai.AuthenticationError):
                client(served.url, api_key=key or "unused").models.list()
        basic = "Basic " + base64.b64encode(b"reader:s3cret").decode()
        assert client(served.url, default_headers={"Authorization": basic}).models.list().data[0].id == "rag"


def test_mounted_into_a_site_v1_and_the_widget_move_under_its_path(assistant):
    from fastapi import FastAPI

    from rag.web import mount

    site = FastAPI()
    mount(site, path="/ask", assistant=variant(assistant, api_rate_limit=0))
    with ServedInThread(site) as served:
        reply = client(served.url + "/ask").chat.completions.create(
            model="rag", messages=[{"role": "user", "content": QUESTION}])
        assert reply.citations and "[1]" in reply.choices[0].message.content
        with urllib.request.urlopen(served.url + "/ask/widget.js", timeout=30) as response:
            assert response.headers["Content-Type"].startswith("text/javascript")
            assert b'"v1/chat/completions"' in response.read(), "the widget asks beside where it was loaded from"
