"""Web chat: build the index when it is missing or stale, then serve the chat on 127.0.0.1."""
from __future__ import annotations

import sys

from rag.settings import Settings


def main() -> int:
    settings = Settings.from_env()
    from rag.assistant import Assistant
    from rag.chat import build_chat
    from rag.corpus import CorpusError
    from rag.store import StoreError

    try:
        assistant = Assistant.load(settings)
    except (CorpusError, StoreError) as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return 2
    build_chat(assistant).queue().launch(server_name=settings.host, server_port=settings.port, share=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
