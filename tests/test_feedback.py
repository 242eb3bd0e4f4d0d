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
