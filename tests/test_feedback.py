"""Feedback: 👍/👎 entries appended as JSONL; `rag feedback export` turns the 👎 ones into draft eval cases."""
from __future__ import annotations

import json
import subprocess
import sys
import threading

from conftest import ROOT, subprocess_env
from rag.feedback import FeedbackLog


def test_entries_are_appended_whole_even_from_many_threads(tmp_path, assistant):
    log = FeedbackLog(tmp_path / "data")
    answer = assistant.ask("How long does it take to build emotional intimacy?").to_dict()
    threads = [threading.Thread(target=log.record, args=(i % 2 == 0, answer)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = log.entries()
    assert len(entries) == 40 and sum(e["liked"] for e in entries) == 20
    assert entries[0]["question"] == answer["question"] and entries[0]["citations"][0]["section"]
    assert {"time", "liked", "question", "context", "answer", "refused", "citations"} == set(entries[0])


def test_a_line_broken_by_a_crash_is_skipped(tmp_path):
    log = FeedbackLog(tmp_path)
    log.record(False, {"question": "q1", "answer": "a", "citations": []})
    with log.path.open("a", encoding="utf-8") as f:
        f.write('{"time": "2026-11-27T10:00:00+00:00", "liked": fal')  # a write cut short
    assert [e["question"] for e in log.entries()] == ["q1"]


def test_export_turns_dislikes_into_draft_cases(tmp_path):
    log = FeedbackLog(tmp_path)
    log.record(True, {"question": "liked one", "answer": "a [1]", "citations": []})
    log.record(False, {"question": "why is the sky blue?", "answer": "The articles don't cover this", "refused": True,
                       "citations": []})
    log.record(False, {"question": "and for friends?", "answer": "b [1]",
                       "citations": [{"n": 1, "section": "FAQ > Can it exist?", "source": "s", "text": "t"}]},
               context=["How can couples build trust?"])
    log.record(False, {"question": "why is the sky blue?", "answer": "again", "citations": []})
    out = subprocess.run([sys.executable, "-m", "rag.cli", "feedback", "export", "--data", str(tmp_path),
                          "--out", str(tmp_path / "drafts.jsonl")], capture_output=True, text=True,
                         env=subprocess_env(), cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "2 draft cases from 4 feedback entries" in out.stderr
    drafts = [json.loads(line) for line in (tmp_path / "drafts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [d["question"] for d in drafts] == ["why is the sky blue?", "and for friends?"]
    assert drafts[1]["kind"] == "follow-up" and drafts[1]["context"] == ["How can couples build trust?"]
    assert drafts[1]["draft"]["cited_sections"] == ["FAQ > Can it exist?"] and drafts[0]["evidence"] == []


def export(data_dir, *flags, timeout=120) -> subprocess.CompletedProcess:
    """`rag feedback export` to standard output, as bytes."""
    return subprocess.run([sys.executable, "-m", "rag.cli", "feedback", "export", "--data", str(data_dir), *flags],
                          capture_output=True, env=subprocess_env(), cwd=ROOT, timeout=timeout)


def entry_line(question: str, /, **fields) -> bytes:
    entry = {"time": "2026-11-27T10:00:00+00:00", "liked": False, "question": question, "context": [],
             "answer": "a", "refused": False, "citations": [], **fields}
    return json.dumps(entry, ensure_ascii=False).encode("utf-8")


BAD_LINES = {
    "a list": b"[1, 2, 3]",
    "a string": b'"just a string"',
    "a number": b"42",
    "null": b"null",
    "question not a string": entry_line("x", question=5),
    "liked not a bool": entry_line("x", liked="no"),
    "no liked": json.dumps({"question": "x"}).encode(),
    "context a string": entry_line("x", context="abc"),
    "context of numbers": entry_line("x", context=[1, 2]),
    "citations a string": entry_line("x", citations="cited"),
    "citation not an object": entry_line("x", citations=[1]),
    "citation text a number": entry_line("x", citations=[{"n": 1, "text": 5}]),
    "deep nesting": b"[" * 200_000 + b"]" * 200_000,
    "deep nesting in a field": entry_line("x")[:-1] + b', "extra": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    "invalid UTF-8": entry_line("x")[:-10] + b"\xff\xfe\x80" + entry_line("x")[-10:],
    "an encoded surrogate": entry_line("x").replace(b'"a"', b'"\xed\xa0\x80"'),
    "cut short": entry_line("x")[:40],
    "too long": entry_line("x" * 1_100_000),
}


def test_export_keeps_the_good_entries_and_counts_every_kind_of_bad_line(tmp_path):
    good = [entry_line("first good one?"),
            entry_line("a line\u2028separator, a next-line\x85 and a paragraph\u2029 mark?"),
            entry_line("an escaped lone surrogate \\ud800 inside?").replace(b"\\\\ud800", b"\\ud800"),
            entry_line("last good one?", context=["earlier?"], citations=[{"n": 1, "source": "s", "section": None,
                                                                         "text": "t"}])]
    lines = [good[0], *BAD_LINES.values(), good[1], b"", good[2], b"   ", good[3]]
    (tmp_path / "feedback.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    out = export(tmp_path)
    stderr = out.stderr.decode()
    assert out.returncode == 0 and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines() == [
        f"rag: 4 draft cases from 4 feedback entries in {tmp_path / 'feedback.jsonl'}; "
        f"{len(BAD_LINES)} unreadable lines skipped (-v lists them)"]
    drafts = [json.loads(line) for line in out.stdout.decode("utf-8").split("\n") if line]  # strict UTF-8
    assert [d["question"] for d in drafts] == [
        "last good one?", "an escaped lone surrogate \ufffd inside?",
        "a line\u2028separator, a next-line\x85 and a paragraph\u2029 mark?", "first good one?"]
    assert drafts[0]["context"] == ["earlier?"] and drafts[0]["draft"]["cited_sections"] == [""]
    assert b"\xc2\x85" not in out.stdout  # C1 controls are \u-escaped for the terminal, still the same JSON


def test_verbose_export_says_which_lines_were_skipped_and_why(tmp_path):
    (tmp_path / "feedback.jsonl").write_bytes(b"\n".join([entry_line("ok?"), b"[1]", b"\xff", b'{"liked": "no"'])
                                              + b"\n")
    lines = export(tmp_path, "-v").stderr.decode().strip().splitlines()
    assert lines == ["rag: feedback.jsonl line 2 skipped: not a JSON object",
                     "rag: feedback.jsonl line 3 skipped: not UTF-8",
                     "rag: feedback.jsonl line 4 skipped: not JSON (a write cut short?)",
                     f"rag: 1 draft cases from 1 feedback entries in {tmp_path / 'feedback.jsonl'}; "
                     "3 unreadable lines skipped"]


def test_separators_inside_a_question_do_not_split_its_entry(tmp_path):
    log = FeedbackLog(tmp_path)
    question = "one\u2028two\x85three\u2029four\x0cfive\x1csix\x0bseven?"
    log.record(False, {"question": question, "answer": "a", "citations": []})
    log.record(True, {"question": "next?", "answer": "b", "citations": []})
    assert [e["question"] for e in log.entries()] == [question, "next?"]
    assert log.read()[1] == 0


def test_a_half_written_line_cannot_swallow_the_next_entry(tmp_path):
    log = FeedbackLog(tmp_path)
    log.record(False, {"question": "q1", "answer": "a", "citations": []})
    with log.path.open("ab") as f:
        f.write(b'{"time": "2026-11-27T10:00:00+00:00", "liked": fal')  # a write cut short by a full disk
    log.record(False, {"question": "q2", "answer": "a", "citations": []})
    assert [e["question"] for e in log.entries()] == ["q1", "q2"] and log.read()[1] == 1


WRITE_AT_FILE_SIZE_LIMIT = """
import logging, resource, signal, sys
from pathlib import Path
from rag.feedback import FeedbackLog
logging.basicConfig(format="%(levelname)s %(message)s")
log = FeedbackLog(Path(sys.argv[1]))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # then a write past the limit is cut short, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (log.path.stat().st_size + 60, resource.RLIM_INFINITY))
print(log.record(False, {"question": "lost to the full disk " * 5, "answer": "a", "citations": []}))
"""


def test_a_write_cut_short_by_a_full_disk_loses_only_that_entry(tmp_path):
    log = FeedbackLog(tmp_path)
    log.record(False, {"question": "before?", "answer": "a", "citations": []})
    cut = subprocess.run([sys.executable, "-c", WRITE_AT_FILE_SIZE_LIMIT, str(tmp_path)], capture_output=True,
                         text=True, env=subprocess_env(), cwd=ROOT, timeout=60)
    assert cut.returncode == 0 and "Traceback" not in cut.stderr, cut.stderr
    assert cut.stdout.strip() == "None" and "WARNING feedback log: could not write" in cut.stderr
    assert not log.path.read_bytes().endswith(b"\n")  # a half line was left behind
    log.record(False, {"question": "after?", "answer": "a", "citations": []})
    assert [e["question"] for e in log.entries()] == ["before?", "after?"] and log.read()[1] == 1


def test_a_failing_disk_drops_the_entry_with_one_warning(tmp_path, caplog):
    (tmp_path / "feedback.jsonl").symlink_to("/dev/full")  # every write fails with ENOSPC
    log = FeedbackLog(tmp_path)
    with caplog.at_level("WARNING", logger="rag.feedback"):
        results = [log.record(False, {"question": f"q{i}", "answer": "a", "citations": []}) for i in range(3)]
    assert results == [None, None, None]
    assert [r.getMessage() for r in caplog.records] == [
        f"feedback log: could not write {log.path} (No space left on device); the entry is lost"]


def test_writers_are_held_to_a_rate(tmp_path, caplog):
    log = FeedbackLog(tmp_path, per_minute=5)
    same_file = FeedbackLog(tmp_path, per_minute=5)  # the rate is per file and process, not per object
    with caplog.at_level("WARNING", logger="rag.feedback"):
        kept = [(log if i % 2 else same_file).record(True, {"question": f"q{i}", "answer": "a"}) for i in range(12)]
    assert sum(e is not None for e in kept) == 5 and len(log.entries()) == 5
    assert [r.getMessage() for r in caplog.records] == [
        "feedback log: more than 5 entries in a minute; dropping entries for now"]


def test_the_file_stops_growing_at_its_cap(tmp_path, caplog):
    log = FeedbackLog(tmp_path, max_bytes=3000, per_minute=0)
    with caplog.at_level("WARNING", logger="rag.feedback"):
        for i in range(100):
            log.record(False, {"question": f"question number {i}?", "answer": "an answer " * 10})
    assert 2000 < log.path.stat().st_size <= 3000 and len(log.entries()) > 5
    assert [r.getMessage() for r in caplog.records] == [
        f"feedback log: {log.path} has reached 3000 bytes (RAG_FEEDBACK_MAX_BYTES); new entries are dropped"]


def test_an_entry_is_bounded_however_long_its_texts(tmp_path):
    log = FeedbackLog(tmp_path)
    huge = "word " * 100_000
    entry = log.record(False, {"question": huge, "answer": huge,
                               "citations": [{"n": i, "source": huge, "section": huge, "text": huge}
                                             for i in range(1000)]}, context=[huge] * 50)
    assert len(entry["answer"]) == 2000 and entry["answer"].endswith("…")
    assert len(entry["citations"]) == 10 and len(entry["context"]) == 3
    assert log.path.stat().st_size < 100_000
    assert log.entries()[0] == entry


def test_the_served_log_takes_its_caps_from_the_settings(tmp_path):
    from rag.settings import Settings

    log = FeedbackLog.for_settings(Settings(data_dir=tmp_path, feedback_per_minute=2, feedback_max_bytes=5000))
    assert (log.path, log.per_minute, log.max_bytes) == (tmp_path / "feedback.jsonl", 2, 5000)
