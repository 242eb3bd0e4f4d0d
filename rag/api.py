"""The JSON API: POST /ask with {"question": "..."} returns the Answer JSON; mounted under /api by rag.web."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from .api_docs import docs_html
from .guards import RateLimit
from .questions import MAX_CONTEXT_ITEMS, QuestionError
from .store import StoreError


class AskRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"question": "How long does it take to build trust?"}]})
    question: StrictStr = Field(description="the reader's question, at most 4,000 characters")
    context: list[StrictStr] = Field(default_factory=list, max_length=MAX_CONTEXT_ITEMS,
                                     description="earlier questions of the conversation, oldest first, for follow-ups "
                                                 f"(at most {MAX_CONTEXT_ITEMS}, each at most 4,000 characters)")


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
    suggestions: list[str] = Field(default_factory=list, description="with a refusal: the nearest sections of the "
                                   "articles, as topics to ask about instead (never an answer)")
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


def create_api(assistant, limit: RateLimit | None = None) -> FastAPI:
    """A FastAPI app answering POST /ask; its OpenAPI schema is at /openapi.json, its docs at /docs.

    `limit` is the per-address question budget, shared with the chat when rag.web mounts both.
    """
    api = FastAPI(title="rag", version="1", summary="Cited answers from the articles", docs_url=None, redoc_url=None,
                  description="Every sentence of an answer ends with [n], the passage it comes from.")
    limit = limit or RateLimit(assistant.settings.api_rate_limit)

    @api.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs(http: Request) -> HTMLResponse:
        origin = f"{http.url.scheme}://{http.url.netloc}"
        return HTMLResponse(docs_html(api.openapi(), http.scope.get("root_path", ""), origin))

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = "the request body could not be read as JSON" if exc.status_code == 400 else str(exc.detail)
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _validation_message(exc)}, status_code=422)

    @api.post("/ask", response_model=AnswerModel, response_model_exclude_unset=True, responses={
        400: {"model": ErrorModel, "description": "the question is empty, too long or has control characters, "
                                                  "or the context is not a short list of earlier questions"},
        413: {"model": ErrorModel, "description": "the body is over RAG_MAX_BODY_BYTES (64 KB by default)"},
        422: {"model": ErrorModel, "description": "the body is not JSON of the documented shape"},
        429: {"model": ErrorModel, "description": "too many questions from one address; see Retry-After"},
        503: {"model": ErrorModel, "description": "the index is not available"}})
    def ask(request: AskRequest, http: Request):
        """Answer a question from the articles, with the passages each sentence comes from."""
        wait = limit.retry_after(http.client.host if http.client else "unknown")
        if wait:
            return JSONResponse({"error": limit.message(wait)},
                                status_code=429, headers={"Retry-After": str(wait)})
        try:
            return assistant.ask(request.question, request.context).to_dict()
        except QuestionError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except StoreError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)

    return api
