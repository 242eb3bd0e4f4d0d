"""Adapters for other frameworks, each imported only when asked for (`rag.integrations.llama_index`)."""
