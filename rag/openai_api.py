"""OpenAI-compatible API over the Assistant: POST /chat/completions (plain or streamed) and GET /models ("rag").

Mounted under /v1 by rag.web, so any OpenAI client (Open WebUI, LibreChat, the `openai` package) can use the
articles as a model. The last user message is the question, earlier user messages its context; the reply is the
answer with its [n] markers, then its numbered sources, and the same sources as the extra field `citations`.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from .answer_text import message_text, sources_text
from .types import Answer
from .guards import RateLimit
from .questions import MAX_CONTEXT_ITEMS, QuestionError
from .store import StoreError

logger = logging.getLogger(__name__)

MODEL = "rag"


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, … are accepted and ignored
    role: StrictStr
    content: StrictStr | list[dict] | None = None  # text, or content parts: [{"type": "text", "text": …}, …]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, … are accepted and ignored
    model: StrictStr
    messages: list[Message] = Field(min_length=1)
    stream: StrictBool | None = False


def error(status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
          headers: dict | None = None) -> JSONResponse:
    """An error in OpenAI's shape, which its clients show: {"error": {"message", "type", "param", "code"}}."""
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": code}},
                        status_code=status, headers=headers)


def _text(content) -> str:
    """A message's text: the string itself, or its text parts joined (images and other parts are left out)."""
    if isinstance(content, str):
        return content
    parts = [p.get("text") for p in content or () if p.get("type") == "text"]
    return "\n".join(p for p in parts if isinstance(p, str))


def question_and_context(messages: list[Message], max_chars: int) -> tuple[str, list[str]]:
    """The last user message, and the user messages before it (the follow-up context), oldest first.

    Earlier messages too long to have been questions are left out of the context rather than refused: a chat
    client sends the whole conversation every time, and one long paste must not block every later question.
    """
    asked = [_text(m.content) for m in messages if m.role == "user"]
    if not asked:
        raise QuestionError("the messages hold no user message; the last user message is the question")
    context = [t for t in asked[:-1] if t.strip() and len(t) <= max_chars]
    return asked[-1], context[-MAX_CONTEXT_ITEMS:]


def structured(answer: Answer) -> dict:
    """The fields beside OpenAI's that carry the answer's sources as data."""
    return {"citations": [c.to_dict() for c in answer.citations], "refused": answer.refused, "notice": answer.notice}


def completion(answer: Answer) -> dict:
    return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": MODEL, "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                         "message": {"role": "assistant", "content": message_text(answer),
                                                     "refusal": None}}],
            **structured(answer)}


def completion_chunks(pieces: Iterator[str | Answer]) -> Iterator[str]:
    """Server-sent events in OpenAI's chunk format: the answer as it is written, then its sources, then [DONE].

    The sources come in one chunk of their own, which alone carries `citations`, so a client that shows them
    as data (the widget) can leave that chunk's text out.
    """
    chunk_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def event(delta: dict, finish: str | None = None, **extra) -> str:
        body = {"id": chunk_id, "object": "chat.completion.chunk", "created": created, "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    try:
        for item in pieces:
            if isinstance(item, Answer):
                tail = sources_text(item)
                yield event({"content": f"\n\n{tail}" if tail else ""}, **structured(item))
            else:
                yield event({"content": item})
    except Exception as exc:  # the response has started: say so in the stream rather than cut it off
        if not isinstance(exc, StoreError):
            logger.exception("a streamed answer failed")
        message = str(exc) if isinstance(exc, StoreError) else "the answer could not be finished"
        yield f"data: {json.dumps({'error': {'message': message, 'type': 'server_error', 'code': None}})}\n\n"
    else:
        yield event({}, "stop")
    yield "data: [DONE]\n\n"


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON"
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    if first.get("type") == "missing":
        return f"'{where}' is required; send {{\"model\": \"rag\", \"messages\": [{{\"role\": \"user\", " \
               f"\"content\": \"...\"}}]}}"
    return f"'{where}': {first.get('msg', 'invalid value')}"


def create_openai_api(assistant, limit: RateLimit | None = None) -> FastAPI:
    """A FastAPI app answering POST /chat/completions and GET /models; mount it at /v1.

    `limit` is the per-address question budget, shared with the chat and /api/ask when rag.web mounts them.
    """
    api = FastAPI(title="rag (OpenAI-compatible)", docs_url=None, redoc_url=None, openapi_url=None)
    limit = limit or RateLimit(assistant.settings.api_rate_limit)
    card = {"id": MODEL, "object": "model", "created": int(time.time()), "owned_by": "rag"}

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = "the request body could not be read as JSON" if exc.status_code == 400 else str(exc.detail)
        return error(exc.status_code, message, headers=getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(400, _validation_message(exc))

    @api.get("/models")
    def models() -> dict:
        return {"object": "list", "data": [card]}

    @api.get("/models/{name}")
    def model(name: str):
        return card if name == MODEL else error(404, f"the model {name!r} does not exist; this server has 'rag'",
                                                code="model_not_found")

    @api.post("/chat/completions")
    def chat_completions(request: ChatRequest, http: Request):
        if request.model != MODEL:
            return error(404, f"the model {request.model!r} does not exist; this server has 'rag'",
                         code="model_not_found")
        wait = limit.retry_after(http.client.host if http.client else "unknown")
        if wait:
            return error(429, limit.message(wait), "requests", "rate_limit_exceeded", {"Retry-After": str(wait)})
        try:
            question, context = question_and_context(request.messages, assistant.settings.max_question_chars)
            if request.stream:  # stream() validates and retrieves before it returns, so errors are still 4xx/5xx
                return StreamingResponse(completion_chunks(assistant.stream(question, context)),
                                         media_type="text/event-stream",
                                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
            return completion(assistant.ask(question, context))
        except QuestionError as exc:
            return error(400, str(exc))
        except StoreError as exc:
            return error(503, str(exc), "server_error")

    return api
