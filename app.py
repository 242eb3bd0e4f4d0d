"""Web chat: build the index when it is missing or stale, then serve the chat and the API on 127.0.0.1."""
from __future__ import annotations

import sys

from rag.settings import Settings


def main() -> int:
    from rag.corpus import CorpusError
    from rag.store import StoreError
    from rag.web import serve

    try:
        return serve(Settings.from_env())
    except (CorpusError, StoreError, ValueError) as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
