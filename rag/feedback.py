"""Readers' 👍/👎 on answers, appended to a JSONL file in the data folder; 👎 ones become draft eval cases."""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .settings import Settings

logger = logging.getLogger(__name__)

FILE_NAME = "feedback.jsonl"
MAX_TEXT_CHARS = 2000  # a longer question, answer, earlier question or cited text is cut here, so entries stay small
MAX_CITATIONS = 10  # citations kept per entry (answers cite at most a few)
MAX_CONTEXT = 3  # earlier questions kept with a follow-up (the chat sends at most 3)
MAX_LINE_BYTES = 1_000_000  # record() never writes a line this long; a longer one is skipped without reading it whole
_SURROGATE = re.compile("[\ud800-\udfff]")  # in a str, any surrogate is unpaired (json.loads joins pairs)


@dataclass
class _Writer:
    """What every FeedbackLog on one file in this process shares: the lock, the rate window, the warnings given."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    recent: deque = field(default_factory=deque)  # monotonic times of the entries written in the last minute
    warned: set = field(default_factory=set)  # reasons for dropping already logged (once until an entry gets through)


_WRITERS: dict[Path, _Writer] = {}
_WRITERS_LOCK = threading.Lock()


class FeedbackLog:
    """One JSON object per line: time, liked, question, context, answer, refused, citations (and comment, error).

    Writes are bounded: each text is cut at MAX_TEXT_CHARS, at most `per_minute` entries a minute are written per
    process (0 = no limit) and none once the file has reached `max_bytes`; a dropped entry logs a warning.
    """

    def __init__(self, data_dir: Path, max_bytes: int = Settings.feedback_max_bytes,
                 per_minute: int = Settings.feedback_per_minute) -> None:
        self.path = Path(data_dir) / FILE_NAME
        self.max_bytes, self.per_minute = max_bytes, per_minute
        with _WRITERS_LOCK:
            self._writer = _WRITERS.setdefault(self.path.absolute(), _Writer())

    @classmethod
    def for_settings(cls, settings: Settings) -> "FeedbackLog":
        return cls(settings.data_dir, settings.feedback_max_bytes, settings.feedback_per_minute)

    def record(self, liked: bool, answer: dict, context: list[str] = (), comment: str = "",
               error: bool = False) -> dict | None:
        """Append one entry (`answer` is Answer.to_dict()) and return it; None when it was dropped (see the class).

        `comment` is what the reader wrote about the answer; `error` marks feedback on an error reply.
        """
        context = [context] if isinstance(context, str) else list(context)
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "liked": bool(liked),
            "question": _text(answer.get("question")),
            "context": [_text(q) for q in context[-MAX_CONTEXT:]],
            "answer": _text(answer.get("answer")),
            "refused": bool(answer.get("refused")),
            "citations": [{"n": c.get("n") if isinstance(c.get("n"), int) else None,
                           **{k: _text(c.get(k)) for k in ("source", "section", "text")}}
                          for c in list(answer.get("citations") or [])[:MAX_CITATIONS]],
        }
        if comment:
            entry["comment"] = _text(comment)
        if error:
            entry["error"] = True
        line = json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n"
        with self._writer.lock:
            if not self._within_rate(time.monotonic()):
                self._drop("rate", "feedback log: more than %d entries in a minute; dropping entries for now",
                           self.per_minute)
                return None
            try:
                if not self._append(line):
                    return None
            except OSError as exc:
                self._drop("write", "feedback log: could not write %s (%s); the entry is lost", self.path,
                           exc.strerror or exc)
                return None
            self._writer.warned.clear()
        return entry

    def _within_rate(self, now: float) -> bool:
        recent = self._writer.recent
        while recent and now - recent[0] >= 60:
            recent.popleft()
        if self.per_minute and len(recent) >= self.per_minute:
            return False
        recent.append(now)
        return True

    def _append(self, line: bytes) -> bool:
        """Append `line` with one write on an O_APPEND descriptor, so writers (threads or processes) never interleave
        within a line; False when the file is full."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # the last write was cut short (disk full): don't let its half line swallow this
            if size + len(line) > self.max_bytes:
                self._drop("full", "feedback log: %s has reached %d bytes (RAG_FEEDBACK_MAX_BYTES); new entries "
                           "are dropped", self.path, self.max_bytes)
                return False
            written = os.write(fd, line)
            if written < len(line):
                raise OSError(errno.ENOSPC, f"only {written} of {len(line)} bytes written")
            return True
        finally:
            os.close(fd)

    def _drop(self, reason: str, message: str, *args) -> None:
        if reason not in self._writer.warned:  # one warning per cause, not one per dropped entry
            self._writer.warned.add(reason)
            logger.warning(message, *args)

    def read(self) -> tuple[list[dict], int]:
        """Every readable entry, and how many lines were skipped as unreadable: cut short, not UTF-8, not JSON,
        not an object, fields of the wrong type, nested too deeply or too long. Lines end at b"\\n" only."""
        entries, skipped = [], 0
        try:
            f = self.path.open("rb")
        except FileNotFoundError:
            return [], 0
        with f:
            for number, raw in enumerate(_lines(f), 1):
                if raw is not None and not raw.strip():
                    continue
                try:
                    entries.append(_parse(raw))
                except ValueError as exc:
                    skipped += 1
                    logger.info("%s line %d skipped: %s", self.path.name, number, exc)
        return entries, skipped

    def entries(self) -> list[dict]:
        """Every readable entry (see read())."""
        return self.read()[0]

    def draft_cases(self) -> list[dict]:
        return draft_cases(self.entries())


def draft_cases(entries: list[dict]) -> list[dict]:
    """Eval-set drafts from the 👎 entries, newest question once: a maintainer fills in the evidence
    (verbatim quotes) or marks the question unanswerable, then moves it into the eval set."""
    drafts, seen = [], set()
    for entry in reversed(entries):
        question = entry["question"]
        if entry["liked"] or not question or question in seen:
            continue
        seen.add(question)
        case = {"id": f"feedback-{len(drafts) + 1}", "question": question,
                "kind": "follow-up" if entry["context"] else "faq-reworded", "evidence": [],
                "draft": {"disliked_at": entry["time"], "answer_given": entry["answer"], "refused": entry["refused"],
                          "cited_sections": [c["section"] for c in entry["citations"]],
                          **({"comment": entry["comment"]} if entry.get("comment") else {}),
                          "todo": "add evidence quotes from the article, or set kind to "
                                  "unanswerable-near/-far with no evidence; then remove 'draft'"}}
        if entry["context"]:
            case["context"] = entry["context"]
        drafts.append(case)
    return drafts


def _text(value) -> str:
    """A field as text for the log: unpaired surrogates replaced, cut at MAX_TEXT_CHARS."""
    text = _SURROGATE.sub("\ufffd", value if isinstance(value, str) else "" if value is None else str(value))
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS - 1] + "…"


def _lines(f):
    """The lines of a binary file, split at b"\\n" only; a line over MAX_LINE_BYTES comes as None, never read whole."""
    while line := f.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES:
            while not line.endswith(b"\n") and (line := f.readline(MAX_LINE_BYTES)):
                pass
            yield None
        else:
            yield line


def _parse(raw: bytes | None) -> dict:
    """One line as an entry with every field of its type; ValueError saying why it is unreadable."""
    if raw is None:
        raise ValueError(f"longer than {MAX_LINE_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    try:
        obj = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError:
        raise ValueError("not JSON (a write cut short?)") from None
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    context, citations = _field(obj, "context", list, []), _field(obj, "citations", list, [])
    if not all(isinstance(q, str) for q in context):
        raise ValueError("'context' is not a list of strings")
    if not all(isinstance(c, dict) for c in citations):
        raise ValueError("'citations' is not a list of objects")
    return {
        "time": _field(obj, "time", str, ""),
        "liked": _field(obj, "liked", bool),
        "question": _text(_field(obj, "question", str)),
        "context": [_text(q) for q in context],
        "answer": _text(_field(obj, "answer", str, "")),
        "refused": _field(obj, "refused", bool, False),
        "citations": [{"n": _field(c, "n", (int, type(None)), None),
                       **{k: _text(_field(c, k, (str, type(None)), "")) for k in ("source", "section", "text")}}
                      for c in citations],
        **({"comment": _text(comment)} if (comment := _field(obj, "comment", str, "")) else {}),
        **({"error": True} if _field(obj, "error", bool, False) else {}),
    }


_MISSING = object()


def _field(obj: dict, key: str, kind, default=_MISSING):
    value = obj.get(key, default)
    if value is _MISSING:
        raise ValueError(f"no {key!r}")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{key!r} is a {type(value).__name__}, not the expected type")
    return value
