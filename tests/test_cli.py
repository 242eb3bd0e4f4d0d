"""The `rag` console script: ingest, ask, JSON lines on stdin, clear errors with exit code 2."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CORPUS, copy_index, subprocess_env, with_model


def rag(*args, stdin: str | None = None, env=None, timeout=240):
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory, article_index):
    data = copy_index(article_index, tmp_path_factory.mktemp("cli") / "data")
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(data))
    first = rag("ingest", env=env)
    assert first.returncode == 0, first.stderr
    assert "72 passages" in first.stdout or "passages from 1 document" in first.stdout
    return env


def test_second_ingest_embeds_nothing(cli_env):
    again = rag("ingest", env=cli_env)
    assert again.returncode == 0
    assert "0 passages embedded" in again.stdout


def test_json_lines_from_stdin_in_order_with_errors(cli_env):
    questions = ["How long does it take to build emotional intimacy?", "", "x" * 5000,
                 "What is the capital of France?", "Can emotional intimacy exist without romance or sex?"]
    out = rag("ask", "--json", "-", stdin="\n".join(questions) + "\n", env=cli_env)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    first = rows[0]
    assert set(first) == {"question", "answer", "refused", "citations", "mode", "notice"}
    assert first["mode"] == "extractive" and first["notice"] == ""
    cited = first["citations"][0]
    assert cited["n"] == 1 and cited["text"].startswith("There’s no fixed timeline.")
    assert set(cited) == {"n", "text", "source", "section", "score", "quotes"}
    assert all(cited["text"][q["start"]:q["end"]] == q["text"] for q in cited["quotes"]) and cited["quotes"]
    assert "empty" in rows[1]["error"] and "limit" in rows[2]["error"]
    assert rows[3]["refused"] is True and rows[3]["citations"] == []
    assert rows[4]["refused"] is False
    assert "Traceback" not in out.stderr


def test_ask_stream_prints_the_answer_as_it_comes(cli_env):
    question = "How long does it take to build emotional intimacy?"
    streamed = rag("ask", "--stream", "--json", question, env=cli_env)
    assert streamed.returncode == 0, streamed.stderr
    *deltas, final = [json.loads(line) for line in streamed.stdout.splitlines()]
    assert len(deltas) >= 2 and all(set(d) == {"delta"} for d in deltas)
    assert "".join(d["delta"] for d in deltas) == final["answer"] and final["citations"]
    text = rag("ask", "--stream", question, env=cli_env)
    assert text.returncode == 0 and text.stdout.startswith(final["answer"] + "\n\n[1] ")


def test_ask_prints_answer_and_sources(cli_env):
    out = rag("ask", "Can emotional intimacy exist without romance or sex?", env=cli_env)
    assert out.returncode == 0, out.stderr
    assert "[1]" in out.stdout and "Can emotional intimacy exist without romance or sex?" in out.stdout
    single = rag("ask", "--json", "What are common warning signs of low emotional intimacy?", env=cli_env)
    assert json.loads(single.stdout)["citations"][0]["section"].endswith("low emotional intimacy?")


@pytest.mark.parametrize("question, reason", [("", "empty"), ("   ", "empty"), ("y" * 4001, "limit"),
                                              ("bad\x07bell", "control")])
def test_bad_question_exits_2_with_one_line(cli_env, question, reason):
    out = rag("ask", question, env=cli_env, timeout=60)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and lines[0].startswith("rag: ")


def test_missing_corpus_is_a_clear_error(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(tmp_path / "nowhere"), RAG_DATA_DIR=str(tmp_path / "d"))
    out = rag("ingest", env=env, timeout=60)
    assert out.returncode == 2
    assert "corpus folder not found" in out.stderr and "Traceback" not in out.stderr


def test_a_reader_that_leaves_early_gets_no_traceback(cli_env):
    """`rag ask --json - | head -1`: the pipe closes while more answers are coming."""
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ask", "--json", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env)
    try:
        proc.stdin.write(b"How long does it take to build emotional intimacy?\n")
        proc.stdin.flush()
        first = json.loads(proc.stdout.readline())
        proc.stdout.close()  # like `head -1`: the reader is gone
        proc.stdin.write(b"Can emotional intimacy exist without romance or sex?\n" * 3)
        proc.stdin.close()
        code = proc.wait(timeout=120)
        stderr = proc.stderr.read().decode()
    finally:
        proc.kill()
    assert first["citations"]
    assert (code, stderr) == (141, "")


def test_a_closed_pipe_before_the_answer_is_quiet_too(cli_env):
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ask", "How can couples build emotional intimacy?"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env)
    proc.stdout.close()
    try:
        code = proc.wait(timeout=120)
        stderr = proc.stderr.read().decode()
    finally:
        proc.kill()
    assert (code, stderr) == (141, "")


ESCAPES_ARTICLE = ('---\ntitle: "Terminal \\e]0;pwned\\a Safety"\n---\n\n# Terminal safety\n\n'
                   "## Escape sequences \x1b[2J in articles\n\n"
                   "Never paste text you do not trust into a terminal. The sequence \x1b]52;c;ZWNobyBwd25lZA==\x07 "
                   "writes to the clipboard, and \x1b[2J clears the screen of whoever reads it. "
                   "A CSI \x9b31m turns the text red.\n\n"
                   "## Backups\n\nKeep a backup of your files on a second disk. Test restoring it once a month.\n")
CONTROLS = ["\x1b", "\x07", "\x9b"]


@pytest.fixture(scope="module")
def escapes_env(tmp_path_factory, article_index):
    """An article full of terminal escape sequences (OSC 52 clipboard write, clear screen, CSI), ingested."""
    corpus = tmp_path_factory.mktemp("escapes")
    (corpus / "terminal.md").write_text(ESCAPES_ARTICLE, encoding="utf-8")
    data = with_model(article_index, tmp_path_factory.mktemp("escapes-data") / "data")
    env = subprocess_env(RAG_CORPUS_DIR=str(corpus), RAG_DATA_DIR=str(data))
    built = rag("ingest", "-q", env=env)
    assert built.returncode == 0, built.stderr
    return env


def test_escape_sequences_in_articles_never_reach_the_terminal(escapes_env):
    # The loader drops control characters from article text; the words around them stay.
    question = "Which escape sequence clears the screen of whoever reads it?"
    for flags in ([], ["--stream"]):
        out = rag("ask", *flags, question, env=escapes_env)
        assert out.returncode == 0 and out.stderr == "", out.stderr
        assert not any(c in out.stdout for c in CONTROLS), repr(out.stdout)
        assert "]52;c;ZWNobyBwd25lZA== writes to the clipboard" in out.stdout
        assert "A CSI 31m turns the text red." in out.stdout


def test_json_output_escapes_every_control_character_and_keeps_the_text(escapes_env):
    question = "Which escape sequence clears the screen of whoever reads it?"
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "--json", question], capture_output=True,
                         env=escapes_env, timeout=240)
    assert out.returncode == 0 and out.stderr == b"", out.stderr
    assert not any(c.encode() in out.stdout for c in CONTROLS), out.stdout
    cited = json.loads(out.stdout)["citations"][0]
    assert "]52;c;ZWNobyBwd25lZA== writes to the clipboard" in cited["text"] and "CSI 31m" in cited["text"]


def test_terminal_output_shows_controls_from_any_source_as_escapes():
    # Text that did not come through the loader (a Chroma server shared with other writers, an LLM's reply).
    from rag.console import json_line, visible

    text = "a \x1b]52;c;ZWNo\x07 b \x9b31m c\td\ne"
    assert visible(text) == "a \\x1b]52;c;ZWNo\\x07 b \\x9b31m c\td\ne"
    line = json_line({"t": text})
    assert not any(c in line for c in CONTROLS) and json.loads(line) == {"t": text}


def test_errors_show_control_characters_as_escapes(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(tmp_path / "gone\x1b[2J"), RAG_DATA_DIR=str(tmp_path / "d"))
    out = rag("ingest", env=env, timeout=60)
    assert out.returncode == 2 and "\x1b" not in out.stderr
    assert out.stderr == f"rag: corpus folder not found: {tmp_path}/gone\\x1b[2J (set RAG_CORPUS_DIR or pass --corpus)\n"

