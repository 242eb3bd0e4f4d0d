"""Web chat: build the index when it is missing or stale, then serve the chat and the API on 127.0.0.1."""
from __future__ import annotations

import argparse
import sys

from rag.console import configure_logging, visible
from rag.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the web chat and the JSON API (settings: RAG_* variables).")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print progress details and other libraries' warnings")
    configure_logging(parser.parse_args(argv).verbose)
    from rag.corpus import CorpusError
    from rag.store import StoreError
    from rag.web import serve

    try:
        return serve(Settings.from_env())
    except (SettingsError, CorpusError, StoreError) as exc:
        print(f"rag: {visible(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
