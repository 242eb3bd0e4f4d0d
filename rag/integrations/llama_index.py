"""RagRetriever: rag's retrieval as a llama-index BaseRetriever, returning the passages as NodeWithScore."""
from __future__ import annotations

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from ..questions import clean_question
from ..settings import Settings


class RagRetriever(BaseRetriever):
    """The passages rag would answer from, best first: dense and keyword rankings fused, typos corrected.

    Each node is a passage: its text, its character span in the article (`start_char_idx`, `end_char_idx`;
    a table row's text is shown under its header line, its span is the row's), metadata `source` (title),
    `section` (heading path), `doc_id` (the file, also the node's `ref_doc_id`) and `kind`; the score is
    rag's dense relevance. No answerability decision is made here: a question the articles don't cover still
    gets its nearest passages, with low scores.

    `RagRetriever()` loads the index from RAG_* settings (building it when missing or stale, like `rag ask`);
    pass `assistant=` to share a loaded one, or `settings=`. Raises rag.QuestionError for an empty, over-long
    or control-character query.
    """

    def __init__(self, assistant=None, *, settings: Settings | None = None, **kwargs) -> None:
        if assistant is None:
            from ..assistant import Assistant

            assistant = Assistant.load(settings)
        self.assistant = assistant
        super().__init__(**kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        query = clean_question(query_bundle.query_str, self.assistant.settings.max_question_chars)
        return [NodeWithScore(node=_node(hit.passage), score=hit.score)
                for hit in self.assistant.retriever.search(query).hits]


def _node(passage) -> TextNode:
    return TextNode(
        id_=passage.id, text=passage.text, start_char_idx=passage.start, end_char_idx=passage.end,
        metadata={"source": passage.source, "section": passage.section, "doc_id": passage.doc_id,
                  "kind": passage.kind},
        excluded_embed_metadata_keys=["doc_id", "kind"], excluded_llm_metadata_keys=["doc_id", "kind"],
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=passage.doc_id)})
