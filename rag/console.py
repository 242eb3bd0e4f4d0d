"""What rag writes to a terminal: control characters made visible, and log records as one `rag:` line each."""
from __future__ import annotations

import json
import logging
import re
import sys

# C0 controls but tab and newline, DEL and C1 controls: ESC, BEL, CSI (U+009B), OSC (U+009D)… An article could
# otherwise clear the screen, retitle the window or write the clipboard (OSC 52) of whoever reads its answer.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# json.dumps escapes C0 controls but leaves DEL and C1 as they are; a \u escape is valid JSON for any character.
_JSON_ESCAPES = {code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)}


def visible(text: str) -> str:
    """`text` with each control character but tab and newline written as its escape, e.g. ESC as \\x1b."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def json_line(value) -> str:
    """`value` as one line of JSON (UTF-8 kept readable) in which no character is a terminal control."""
    return json.dumps(value, ensure_ascii=False).translate(_JSON_ESCAPES)


class OneLineFormatter(logging.Formatter):
    """`rag: warning: message` (`rag: message` below WARNING); the traceback of an exception only when verbose."""

    def __init__(self, verbose: bool = False) -> None:
        super().__init__()
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        level = f"{record.levelname.lower()}: " if record.levelno >= logging.WARNING else ""
        line = "rag: " + level + visible(" ".join(record.getMessage().split("\n")))
        if self.verbose and record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


OURS = ("rag", "eval", "__main__")  # loggers whose warnings a user should always see


class _Handler(logging.StreamHandler):
    """The stderr handler configure_logging installs (so a second call replaces it)."""

    def __init__(self, verbose: bool) -> None:
        super().__init__(sys.stderr)
        self.verbose = verbose
        self.setFormatter(OneLineFormatter(verbose))

    def filter(self, record: logging.LogRecord) -> bool:
        # By level here, not on the loggers: some libraries set their own logger to DEBUG (bm25s does).
        if self.verbose:
            return record.levelno >= logging.INFO
        return record.levelno >= (logging.WARNING if record.name.split(".")[0] in OURS else logging.ERROR)


def configure_logging(verbose: bool = False) -> None:
    """rag's warnings on stderr, one line each; its INFO and other libraries' warnings (chromadb, httpx, gradio,
    Python's warnings.warn…) only when `verbose`."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(_Handler(verbose))
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.captureWarnings(True)
