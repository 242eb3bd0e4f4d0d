"""`rag mcp`: the articles for an AI assistant over MCP (stdio): the tool `ask`, and each article as a resource."""
from __future__ import annotations

import sys
from typing import Annotated
from urllib.parse import quote

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp_types import CallToolResult, TextContent
from pydantic import Field

from .answer_text import message_text
from .corpus import CorpusError, load_document
from .questions import QuestionError
from .store import StoreError

ASK = ("Answer a question from the articles. Every sentence of the answer is quoted from them and ends with [n]; "
       "the numbered passages (title, section, text) follow the answer. When the articles don't cover the "
       "question the answer says so: don't answer it from elsewhere in their name.")
TITLES_SHOWN = 20  # article titles named in the server's instructions


def article_uri(doc_id: str) -> str:
    return "rag://articles/" + quote(doc_id, safe="/")


def article_text(assistant, doc_id: str) -> str:
    """The article as indexed (HTML reduced to Markdown), which citations' character spans index into.

    When its file can no longer be read (the corpus moved; the index still answers) the stored passages stand in.
    """
    settings = assistant.settings
    try:
        return load_document(settings.corpus_dir / doc_id, settings.corpus_dir, settings.max_file_bytes).text
    except (CorpusError, OSError, KeyError):
        return "\n\n".join(p.text for p in assistant.store.passages() if p.doc_id == doc_id)


def build_server(assistant) -> MCPServer:
    """An MCP server over `assistant`: the tool `ask(question)` and the resource rag://articles/<file> per article."""
    articles = {meta["doc_id"]: meta.get("source") or meta["doc_id"]
                for meta in assistant.store.stored().values() if meta.get("doc_id")}
    titles = sorted(set(articles.values()))
    named = "; ".join(titles[:TITLES_SHOWN]) + ("; …" if len(titles) > TITLES_SHOWN else "")
    count = f"{len(articles)} article{'' if len(articles) == 1 else 's'}"
    server = MCPServer(name="rag", log_level="WARNING",
                       instructions=f"Cited answers from {count} ({named}). Call `ask` for questions they may "
                                    "cover and keep the [n] markers and sources in your reply.")

    @server.tool(name="ask", description=ASK)
    def ask(question: Annotated[str, Field(description="the question in plain words, at most 4,000 characters")]
            ) -> CallToolResult:
        try:
            answer = assistant.ask(question)
        except (QuestionError, StoreError) as exc:
            raise ToolError(str(exc)) from None
        return CallToolResult(content=[TextContent(type="text", text=message_text(answer))],
                              structured_content=answer.to_dict())

    for doc_id, title in sorted(articles.items()):
        markdown = doc_id.lower().endswith((".md", ".markdown", ".html", ".htm"))
        server.add_resource(FunctionResource.from_function(
            lambda doc_id=doc_id: article_text(assistant, doc_id), uri=article_uri(doc_id), name=doc_id, title=title,
            description=f"the article “{title}” as indexed", mime_type="text/markdown" if markdown else "text/plain"))
    return server


def serve(settings) -> int:
    """Load the index (building it if needed), then answer MCP requests on standard input/output until it closes."""
    from .assistant import Assistant

    server = build_server(Assistant.load(settings, quiet=True))
    print("rag: MCP server on standard input/output (tool: ask; the articles as resources)", file=sys.stderr,
          flush=True)
    server.run("stdio")
    return 0
