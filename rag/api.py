"""The JSON API: POST /ask with {"question": "..."} returns the Answer JSON; mounted under /api by rag.web."""
from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from .questions import QuestionError
from .store import StoreError


class AskRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"question": "How long does it take to build trust?"}]})
    question: StrictStr = Field(description="the reader's question, at most 4,000 characters")
    context: list[StrictStr] = Field(default_factory=list, max_length=20,
                                     description="earlier questions of the conversation, oldest first, for follow-ups")


class QuoteModel(BaseModel):
    text: str = Field(description="a sentence of the passage the answer rests on")
    start: int = Field(description="its first character's offset in the passage text")
    end: int = Field(description="the offset just past its last character")


class CitationModel(BaseModel):
    n: int = Field(description="the marker number used in the answer: [n]")
    text: str = Field(description="the passage, verbatim from the article")
    source: str = Field(description="the article's title")
    section: str = Field(description="the heading path, ' > '-joined")
    score: float
    quotes: list[QuoteModel]


class AnswerModel(BaseModel):
    question: str
    answer: str = Field(description="the answer; each sentence ends with [n], the passage it comes from")
    refused: bool = Field(description="true when the articles don't cover the question")
    mode: str = Field(description="extractive (sentences copied from the passages) or generative (LLM, checked)")
    notice: str = Field(description="a note for the reader, empty when there is none")
    citations: list[CitationModel]


class ErrorModel(BaseModel):
    error: str = Field(description="what was wrong, in one line")


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON; send {\"question\": \"...\"}"
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    if first.get("type") == "missing":
        return f"'{where}' is required; send {{\"question\": \"...\"}}"
    return f"'{where}': {first.get('msg', 'invalid value')}"


class RateLimit:
    """At most `per_minute` requests per client address in any 60 seconds (0 = no limit)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """0 when the request may go ahead (and is counted), else seconds until it may."""
        if self.per_minute <= 0:
            return 0
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # forget clients idle for a minute, so memory stays bounded
                self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] < 60}
            times = self._seen.setdefault(client, deque())
            while times and now - times[0] >= 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return max(1, int(60 - (now - times[0])) + 1)
            times.append(now)
            return 0


def create_api(assistant) -> FastAPI:
    """A FastAPI app answering POST /ask; its OpenAPI schema is at /openapi.json, its docs at /docs."""
    api = FastAPI(title="rag", version="1", summary="Cited answers from the articles",
                  description="Every sentence of an answer ends with [n], the passage it comes from.")

    limit = RateLimit(assistant.settings.api_rate_limit)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = "the request body could not be read as JSON" if exc.status_code == 400 else str(exc.detail)
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _validation_message(exc)}, status_code=422)

    @api.post("/ask", response_model=AnswerModel, responses={
        400: {"model": ErrorModel, "description": "the question is empty, too long or has control characters"},
        422: {"model": ErrorModel, "description": "the body is not JSON of the documented shape"},
        429: {"model": ErrorModel, "description": "too many questions from one address; see Retry-After"},
        503: {"model": ErrorModel, "description": "the index is not available"}})
    def ask(request: AskRequest, http: Request):
        """Answer a question from the articles, with the passages each sentence comes from."""
        wait = limit.retry_after(http.client.host if http.client else "unknown")
        if wait:
            return JSONResponse({"error": f"too many questions from your address; try again in {wait} s"},
                                status_code=429, headers={"Retry-After": str(wait)})
        try:
            return assistant.ask(request.question, request.context).to_dict()
        except QuestionError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except StoreError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)

    return api
