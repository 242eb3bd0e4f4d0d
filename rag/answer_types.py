"""Answer, Citation and Quote, now in rag/types.py; imported from here by older code."""
from .types import Answer, Citation, Quote

__all__ = ["Answer", "Citation", "Quote"]
