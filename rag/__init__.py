"""rag: cited question answering over a folder of articles."""
from __future__ import annotations

from . import settings as _settings  # noqa: F401  (sets the offline, no-telemetry environment first)

__all__ = ["Assistant", "Answer", "Citation", "Settings", "QuestionError"]


def __getattr__(name: str):
    # Lazy so that `import rag` (and the CLI's start-up) stays cheap.
    if name == "Assistant":
        from .assistant import Assistant
        return Assistant
    if name in {"Answer", "Citation"}:
        from . import types
        return getattr(types, name)
    if name == "Settings":
        from .settings import Settings
        return Settings
    if name == "QuestionError":
        from .questions import QuestionError
        return QuestionError
    raise AttributeError(name)
