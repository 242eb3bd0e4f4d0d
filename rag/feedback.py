"""Readers' 👍/👎 on answers, appended to a JSONL file in the data folder; 👎 ones become draft eval cases."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

FILE_NAME = "feedback.jsonl"


class FeedbackLog:
    """One JSON object per line: time, liked, question, context, answer, refused, citations."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self._lock = threading.Lock()

    def record(self, liked: bool, answer: dict, context: list[str] = ()) -> dict:
        """Append one entry (`answer` is Answer.to_dict()) and return it."""
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "liked": bool(liked),
            "question": answer.get("question", ""),
            "context": list(context),
            "answer": answer.get("answer", ""),
            "refused": bool(answer.get("refused")),
            "citations": [{k: c.get(k) for k in ("n", "source", "section", "text")} for c in answer.get("citations", [])],
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:  # one write per line, so concurrent readers never see half an entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
        return entry

    def entries(self) -> list[dict]:
        """Every readable entry; a line broken by a crash mid-write is skipped."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def draft_cases(self) -> list[dict]:
        """Eval-set drafts from the 👎 entries, newest question once: a maintainer fills in the evidence
        (verbatim quotes) or marks the question unanswerable, then moves it into the eval set."""
        drafts, seen = [], set()
        for entry in reversed(self.entries()):
            question = entry.get("question", "")
            if entry.get("liked") or not question or question in seen:
                continue
            seen.add(question)
            case = {"id": f"feedback-{len(drafts) + 1}", "question": question,
                    "kind": "follow-up" if entry.get("context") else "faq-reworded", "evidence": [],
                    "draft": {"disliked_at": entry.get("time"), "answer_given": entry.get("answer"),
                              "refused": entry.get("refused"),
                              "cited_sections": [c.get("section") for c in entry.get("citations", [])],
                              "todo": "add evidence quotes from the article, or set kind to "
                                      "unanswerable-near/-far with no evidence; then remove 'draft'"}}
            if entry.get("context"):
                case["context"] = entry["context"]
            drafts.append(case)
        return drafts
