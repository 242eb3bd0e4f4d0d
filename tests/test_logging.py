"""Warnings reach people as one `rag: warning: …` line on stderr; INFO and libraries' chatter only with -v."""
from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from conftest import running_app, subprocess_env


LOG_SOME_OF_EVERYTHING = """
import logging, sys, warnings
from rag.console import configure_logging
configure_logging(verbose=sys.argv[1] == "verbose")
logging.getLogger("rag.corpus").warning("skipped %s: a symbolic link out of the corpus", "corpus/leak.txt")
logging.getLogger("rag.ingest").info("embedding 3 passages")
logging.getLogger("chromadb.telemetry").warning("telemetry chatter")
logging.getLogger("httpx").info("HTTP Request: GET http://127.0.0.1:8000")
logging.getLogger("bm25s").debug("Building index from IDs objects")
logging.getLogger("gradio").error("a real failure")
logging.getLogger("rag.store").warning("two\\nlines with an \\x1b[2J escape")
warnings.warn("a library deprecation")
"""


def test_warnings_print_as_one_rag_line_and_chatter_only_when_verbose():
    def run(mode: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", LOG_SOME_OF_EVERYTHING, mode], capture_output=True, text=True,
                             env=subprocess_env(), timeout=60)
        assert out.returncode == 0 and out.stdout == ""
        return out.stderr.splitlines()

    assert run("quiet") == ["rag: warning: skipped corpus/leak.txt: a symbolic link out of the corpus",
                            "rag: error: a real failure",
                            "rag: warning: two lines with an \\x1b[2J escape"]
    verbose = run("verbose")
    assert verbose[:6] == ["rag: warning: skipped corpus/leak.txt: a symbolic link out of the corpus",
                           "rag: embedding 3 passages", "rag: warning: telemetry chatter",
                           "rag: HTTP Request: GET http://127.0.0.1:8000", "rag: error: a real failure",
                           "rag: warning: two lines with an \\x1b[2J escape"]
    assert len(verbose) == 7 and "UserWarning: a library deprecation" in verbose[6]


@pytest.mark.slow  # a served app from its first build
def test_the_served_app_logs_only_rag_lines(small_corpus, model_data):
    """uvicorn's warnings (here: a request that is not HTTP) stay out of the app's output unless verbose."""
    data = model_data
    with running_app(small_corpus, data) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            conn.recv(1024)
        time.sleep(0.5)
    log = (data / "app.log").read_text()
    assert "rag: chat on http://127.0.0.1:" in log and "Invalid HTTP request" not in log, log
    assert not any(line.startswith(("WARNING:", "ERROR:", "INFO:")) for line in log.splitlines()), log
