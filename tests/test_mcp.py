"""`rag mcp` driven by the `mcp` package's client over stdio: the tool `ask`, the articles as resources."""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

from conftest import ROOT, subprocess_env

pytest.importorskip("mcp", reason="`rag mcp` is the optional extra rag[mcp]")

from mcp import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402
from rag.composer import REFUSAL  # noqa: E402

QUESTION = "How often should I feed a sourdough starter?"


async def talk(corpus, data, errors_to, conversation):
    """Start `python -m rag.cli mcp` over `corpus`, run `conversation(session)` against it, return its result."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "rag.cli", "mcp", "--corpus", str(corpus),
                                                                 "--data", str(data)],
                                   env=subprocess_env(), cwd=str(ROOT))
    with anyio.fail_after(240):
        async with stdio_client(params, errlog=errors_to) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await conversation(session)


def test_an_mcp_client_asks_and_reads_the_articles(small_corpus, tmp_path, model_data):
    async def conversation(session):
        tools = (await session.list_tools()).tools
        answered = await session.call_tool("ask", {"question": QUESTION})
        refused = await session.call_tool("ask", {"question": "What is the capital of France?"})
        empty = await session.call_tool("ask", {"question": "   "})
        resources = (await session.list_resources()).resources
        article = await session.read_resource("rag://articles/gardening.md")
        return tools, answered, refused, empty, resources, article

    # In a thread of its own: the session's Playwright browser keeps an event loop running in this one.
    with open(tmp_path / "server.log", "w") as log, ThreadPoolExecutor(1) as thread:
        tools, answered, refused, empty, resources, article = thread.submit(
            anyio.run, talk, small_corpus, model_data, log, conversation).result(timeout=300)
    server_log = (tmp_path / "server.log").read_text()

    assert [t.name for t in tools] == ["ask"] and list(tools[0].input_schema["properties"]) == ["question"]
    text = answered.content[0].text
    answer, _, sources = text.partition("\n\nSources:\n")
    assert not answered.is_error and "twelve hours" in answer and "[1]" in answer
    assert "[1] bread › Feeding the starter" in sources and "> Feed the starter every twelve hours" in sources
    data = answered.structured_content
    assert data["answer"] == answer and data["refused"] is False and data["citations"][0]["n"] == 1

    assert refused.structured_content["refused"] is True and refused.content[0].text.startswith(REFUSAL)
    assert empty.is_error and "empty" in empty.content[0].text

    assert sorted(str(r.uri) for r in resources) == ["rag://articles/bikes.html", "rag://articles/bread.txt",
                                                     "rag://articles/gardening.md"]
    assert {r.title for r in resources} == {"Growing Tomatoes", "bread", "Bicycle Maintenance"}
    assert "Tomatoes need at least six hours of direct sunlight" in article.contents[0].text
    assert "MCP server on standard input/output" in server_log and "Traceback" not in server_log


def test_rag_mcp_without_the_sdk_says_how_to_install_it(tmp_path):
    stub = tmp_path / "stub"
    (stub / "mcp").mkdir(parents=True)
    (stub / "mcp" / "__init__.py").write_text("raise ImportError('No module named mcp')\n")
    env = subprocess_env()
    env["PYTHONPATH"] = f"{stub}:{env['PYTHONPATH']}"
    done = subprocess.run([sys.executable, "-m", "rag.cli", "mcp"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == ["rag: `rag mcp` needs the MCP SDK: pip install 'rag[mcp]' "
                                                "(or: pip install 'mcp>=2')"]
