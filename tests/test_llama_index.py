"""rag.integrations.llama_index.RagRetriever inside llama-index: nodes with text, spans and metadata; lazy import."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CORPUS, ROOT, subprocess_env

QUESTION = "How long does it take to build emotional intimacy?"


def test_the_retriever_returns_the_passages_rag_answers_from(assistant):
    from llama_index.core.schema import NodeWithScore, TextNode

    from rag.corpus import load_document
    from rag.integrations.llama_index import RagRetriever

    retriever = RagRetriever(assistant)
    found = retriever.retrieve(QUESTION)
    assert found and all(isinstance(n, NodeWithScore) and isinstance(n.node, TextNode) for n in found)
    assert [n.node.node_id for n in found] == [h.passage.id for h in assistant.retriever.search(QUESTION).hits]
    top = found[0].node
    assert top.metadata["section"].endswith(QUESTION) and top.metadata["doc_id"] == "emotional-intimacy.md"
    assert top.metadata["source"].startswith("Emotional Intimacy in Relationships") and top.ref_doc_id == "emotional-intimacy.md"
    article = load_document(CORPUS / "emotional-intimacy.md", CORPUS).text
    for n in found:
        if n.node.metadata["kind"] != "row":  # a table row's text carries its header line; its span is the row's
            assert article[n.node.start_char_idx:n.node.end_char_idx] == n.node.text, "the span is the passage's"
    assert found[0].score >= found[-1].score and isinstance(found[0].score, float)
    assert "doc_id" not in top.get_content(metadata_mode="llm") and "section:" in top.get_content(metadata_mode="llm")


def test_the_retriever_feeds_a_llama_index_query_engine(assistant):
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine

    from rag.integrations.llama_index import RagRetriever

    engine = RetrieverQueryEngine.from_args(RagRetriever(assistant), llm=MockLLM())
    response = engine.query(QUESTION)
    assert response.source_nodes[0].node.metadata["section"].endswith(QUESTION)
    assert "There’s no fixed timeline." in response.source_nodes[0].node.get_content()


def test_bad_queries_raise_the_question_error(assistant):
    from rag import QuestionError
    from rag.integrations.llama_index import RagRetriever

    with pytest.raises(QuestionError, match="empty"):
        RagRetriever(assistant).retrieve("   ")


def test_settings_from_the_environment_and_llama_index_off_the_ask_path(small_corpus, model_data):
    script = """
import json, sys
from rag import Assistant
Assistant.load(quiet=True).ask("How often should I feed a sourdough starter?")
after_ask = sorted({m.split(".")[0] for m in sys.modules} & {"llama_index", "mcp", "openai"})
import rag.integrations
after_package = "llama_index" in sys.modules
from rag.integrations.llama_index import RagRetriever
nodes = RagRetriever().retrieve("How often should I feed a sourdough starter?")
print(json.dumps({"after_ask": after_ask, "after_package": after_package,
                  "top": [nodes[0].node.metadata, nodes[0].node.text]}))
"""
    env = subprocess_env(RAG_CORPUS_DIR=str(small_corpus), RAG_DATA_DIR=str(model_data))
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["after_ask"] == [], "asking imports neither llama-index nor the other plug-ins' packages"
    assert result["after_package"] is False, "rag.integrations alone imports no framework"
    metadata, text = result["top"]
    assert metadata["doc_id"] == "bread.txt" and text.startswith("Feed the starter every twelve hours")
