"""First start: the terminal shows the address at once and a progress bar with the time left while the index is
built; a reader who opens the page meanwhile sees "Building the index…", and the page becomes the chat by itself."""
from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
import urllib.error
import urllib.request

from browser_chat import BOX, DESKTOP, PHONE, axe_violations, shot
from conftest import CORPUS, ROOT, free_port, stop_process, subprocess_env, wait_for_port


class Terminal:
    """A process on a pseudo-terminal 120 columns wide (as in a terminal window), its output collected."""

    def __init__(self, command: list[str], env: dict) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
        self.proc = subprocess.Popen(command, env=env, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        self.master, self.chunks = master, []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace")

    def close(self) -> None:
        stop_process(self.proc)
        os.close(self.master)


def test_first_start_shows_progress_and_a_building_page_that_becomes_the_chat(browser, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(tmp_path / "data"), RAG_PORT=str(port))
    terminal = Terminal([sys.executable, str(ROOT / "app.py")], env)
    try:
        wait_for_port(port, terminal.proc, timeout=60)
        assert "Built index" not in terminal.text, "the server listens before the index is built"
        assert f"rag: chat on {url}" in terminal.text

        pages = {}
        for size in (DESKTOP, PHONE):
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            response = page.goto(url, wait_until="load")
            assert response.status == 503 and response.headers.get("retry-after")
            assert page.locator("h1").inner_text() == "Ask the articles"
            assert "Building the index" in page.locator("[role=status]").inner_text()
            shot(page, "building", size)
            found = axe_violations(page)
            assert not found, found
            pages[size] = page
        request = urllib.request.Request(url + "api/ask", data=json.dumps({"question": "q"}).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("the API answered before the index was ready")
        except urllib.error.HTTPError as exc:
            assert exc.code == 503 and "being built" in json.loads(exc.read())["error"]

        for page in pages.values():  # no reload by the test: the page opens the chat by itself
            page.wait_for_selector(BOX, timeout=180_000)
            assert page.locator("#chat .example").count()
            page.close()
        deadline = time.monotonic() + 10
        while "rag: ready" not in terminal.text and time.monotonic() < deadline:
            time.sleep(0.2)
        text = terminal.text
    finally:
        terminal.close()
    bars = re.findall(r"Embedding passages and sentences:\s+(\d+)%\|[^\r\n]*about (\d\d:\d\d|\?) left", text)
    percents = sorted({int(p) for p, _ in bars})
    assert len(percents) >= 4 and percents[-1] == 100, f"a moving progress bar: {percents}\n{text[-2000:]}"
    assert any(re.fullmatch(r"\d\d:\d\d", left) for _, left in bars), "with the time left"
    order = [text.index(s) for s in ("rag: chat on", "Loading the embedding model", "Embedding passages", "Built index",
                                     "rag: ready")]
    assert order == sorted(order), text[-2000:]
