"""The served site over real HTTP on 127.0.0.1: page, gradio_client chat, JSON API, mounting, basic auth."""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

from conftest import CORPUS, ServedInThread, running_app

QUESTION = "How long does it take to build emotional intimacy?"


def http(url: str, body: bytes | dict | None = None, headers: dict | None = None) -> tuple[int, dict | str]:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw = response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read().decode("utf-8")
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


@pytest.mark.slow  # a first build and an app of its own (the other tests share one on a copied index)
def test_app_builds_the_index_then_serves_the_page_on_loopback(model_data):
    with running_app(CORPUS, model_data) as url:
        status, page = http(url + "/")
    assert status == 200 and "gradio" in page.lower()
    assert (model_data / "chroma").is_dir(), "the missing index was built before serving"
    assert "Built index" in (model_data / "app.log").read_text()


def test_gradio_client_chat_endpoint_answers_with_sources(served_app):
    from gradio_client import Client

    url, _ = served_app
    client = Client(url, verbose=False)
    reply = client.predict(QUESTION, [], api_name="/chat")
    assert reply["answer"].startswith("There’s no fixed timeline.") and "[1]" in reply["answer"] and not reply["refused"]
    assert reply["citations"][0]["section"].endswith(QUESTION)
    follow_up = client.predict("and what about with friends?", ["Can emotional intimacy exist without romance or sex?"],
                               api_name="/chat")
    assert not follow_up["refused"]
    refused = client.predict("What is the capital of France?", [], api_name="/chat")
    assert refused["refused"] and refused["citations"] == []
    bad = client.predict("   ", [], api_name="/chat")
    assert "empty" in bad["error"]


def test_api_ask_returns_the_answer_json(served_app):
    url, _ = served_app
    status, answer = http(url + "/api/ask", {"question": QUESTION})
    assert status == 200
    assert set(answer) == {"question", "answer", "refused", "mode", "notice", "citations"}
    cited = answer["citations"][0]
    assert cited["n"] == 1 and cited["text"][cited["quotes"][0]["start"]:cited["quotes"][0]["end"]] == cited["quotes"][0]["text"]
    status, follow_up = http(url + "/api/ask", {"question": "and how long does that take?",
                                                 "context": ["How can couples build emotional intimacy?"]})
    assert status == 200 and "no fixed timeline" in follow_up["answer"]
    status, refused = http(url + "/api/ask", {"question": "How do I file for divorce?"})
    assert status == 200 and refused["refused"] and refused["citations"] == []
    assert refused["suggestions"] and all(s in refused["answer"] for s in refused["suggestions"])


@pytest.mark.parametrize("body, status, words", [
    ({"question": ""}, 400, "empty"),
    ({"question": "x" * 5000}, 400, "limit"),
    ({"question": "nul\x00byte"}, 400, "control"),
    ({"question": 42}, 422, "'question'"),
    ({"question": ["a"]}, 422, "'question'"),
    ({}, 422, "'question' is required"),
    ({"question": "ok?", "context": "not a list"}, 422, "'context'"),
    (b"{not json", 422, "not valid JSON"),
    (b"\xff\xfe", 422, "not valid JSON"),
])
def test_api_errors_are_json_with_a_clear_message(served_app, body, status, words):
    url, _ = served_app
    got, payload = http(url + "/api/ask", body)
    assert got == status and isinstance(payload, dict) and words in payload["error"], payload


def test_openapi_schema_is_served(served_app):
    url, _ = served_app
    status, schema = http(url + "/api/openapi.json")
    assert status == 200
    operation = schema["paths"]["/ask"]["post"]
    assert {"200", "400", "422"} <= set(operation["responses"])
    assert "question" in schema["components"]["schemas"]["AskRequest"]["properties"]


@pytest.mark.slow  # a whole site served
def test_chat_mounts_into_an_existing_fastapi_site(assistant):
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from rag.web import mount

    site = FastAPI()

    @site.get("/")
    def home():
        return {"site": "home"}

    async def upload_size(request):
        return JSONResponse({"bytes": len(await request.body())})

    site.add_route("/upload-size", upload_size, methods=["POST"])

    mount(site, path="/ask", assistant=assistant)
    with ServedInThread(site) as served:
        assert http(served.url + "/") == (200, {"site": "home"})
        big = b"z" * 100_000  # over the chat's body limit: refused under /ask, the site's own routes untouched
        assert http(served.url + "/upload-size", big) == (200, {"bytes": 100_000})
        assert http(served.url + "/ask/api/ask", big)[0] == 413
        status, page = http(served.url + "/ask/")
        assert status == 200 and "gradio" in page.lower()
        status, answer = http(served.url + "/ask/api/ask", {"question": QUESTION})
        assert status == 200 and answer["citations"][0]["section"].endswith(QUESTION)
        from gradio_client import Client

        reply = Client(served.url + "/ask/", verbose=False).predict(QUESTION, [], api_name="/chat")
        assert reply["citations"]


def test_basic_auth_guards_the_chat_and_the_api(assistant):
    from dataclasses import replace

    from rag.assistant import Assistant
    from rag.web import create_app

    guarded = Assistant(replace(assistant.settings, auth="reader:s3cret"), assistant.store, assistant.embedder)
    guarded.retriever._keyword, guarded.retriever._vocabulary = assistant.retriever.keyword, assistant.retriever.vocabulary
    with ServedInThread(create_app(guarded)) as served:
        good = {"Authorization": "Basic " + base64.b64encode(b"reader:s3cret").decode()}
        wrong = {"Authorization": "Basic " + base64.b64encode(b"reader:nope").decode()}
        for path, body in (("/", None), ("/api/ask", {"question": QUESTION}), ("/gradio_api/info", None)):
            assert http(served.url + path, body)[0] == 401
            assert http(served.url + path, body, wrong)[0] == 401
        assert http(served.url + "/", None, good)[0] == 200
        status, answer = http(served.url + "/api/ask", {"question": QUESTION}, good)
        assert status == 200 and answer["citations"]


def test_a_malformed_auth_setting_is_refused(assistant):
    from rag.web import BasicAuth

    with pytest.raises(ValueError, match="user:password"):
        BasicAuth(None, "no-colon")
