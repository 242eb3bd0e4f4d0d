"""The chat's conversation: turns of question and reply, kept in the reader's browser and signed by the server.

The browser holds a compact copy (passage ids, not passage texts) with an HMAC under a key kept in the data
folder, so a reload or a server restart brings the conversation back, and nothing the browser did not get from
this server is taken back in. Passages are read again from the index when a conversation is restored.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .types import Answer, Citation, Quote
from .chat_render import answer_html, error_html, escape, partial_html, stopped_html

logger = logging.getLogger(__name__)

MAX_TURNS = 20  # question-and-answer turns a chat keeps; older ones leave the page, the browser and the server
MAX_SUGGESTIONS = 3
BROWSER_BYTES = 32_000  # the browser's copy stays well under the request body limit (64 KB) it is sent back in
KEY_FILE = "chat-key"
VERSION = 1


@dataclass
class Turn:
    """One question and its reply: an Answer, an error line, or the text written before the reader stopped it."""

    question: str
    context: list[str] = field(default_factory=list)  # the earlier questions it was read with
    answer: Answer | None = None
    error: str = ""
    partial: str = ""  # the text streamed so far (while writing, or when stopped)
    stopped: bool = False
    suggestions: list[str] = field(default_factory=list)  # what the chat offers next (only the last turn shows them)

    @property
    def done(self) -> bool:
        return self.answer is not None or bool(self.error) or self.stopped

    def reply_html(self, index: int) -> str:
        if self.answer is not None:
            return answer_html(self.answer, index)
        if self.error:
            return error_html(self.error)
        return stopped_html(self.partial) if self.stopped else partial_html(self.partial)

    def feedback_answer(self) -> dict:
        """What a 👍/👎 on this turn records: the Answer JSON, or the error line as the answer."""
        if self.answer is not None:
            return self.answer.to_dict()
        text = self.error or (self.partial + " (stopped)").strip()
        return {"question": self.question, "answer": text, "refused": False, "citations": []}


def messages(turns: list[Turn]) -> list[dict]:
    """The turns as the Chatbot's messages; the last reply carries the suggestions as clickable options."""
    out = []
    for i, turn in enumerate(turns):
        out.append({"role": "user", "content": escape(turn.question)})
        reply = {"role": "assistant", "content": turn.reply_html(i)}
        if i == len(turns) - 1 and turn.done and turn.suggestions:
            reply["options"] = [{"value": s, "label": s} for s in turn.suggestions]
        out.append(reply)
    return out


def turn_of_message(index) -> int | None:
    """The turn a Chatbot message index (LikeData/EditData/RetryData .index) belongs to."""
    if isinstance(index, (list, tuple)) and index:
        index = index[0]
    return index // 2 if isinstance(index, int) and not isinstance(index, bool) and index >= 0 else None


# --- the browser's copy ---------------------------------------------------------------------------------------------

def load_key(data_dir: Path) -> bytes:
    """The key that signs conversations, created once in the data folder (mode 0600).

    When the folder cannot hold it, a key for this process only: conversations then last until a restart.
    """
    path = Path(data_dir) / KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key.hex())
    except FileExistsError:  # another process wrote it first, or it is unreadable
        try:
            return bytes.fromhex(path.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            logger.warning("%s is not a chat key; conversations kept in browsers end with this process", path)
    except OSError as exc:
        logger.warning("cannot keep the chat key in %s (%s); conversations kept in browsers end with this process",
                       path, exc.strerror or exc)
    return key


def derived(key: bytes, purpose: str, length: int = 24) -> str:
    """A stable name or secret for `purpose`, derived from the key without revealing it."""
    return hmac.new(key, purpose.encode(), hashlib.sha256).hexdigest()[:length]


def _compact_answer(answer: Answer) -> dict:
    return {"t": answer.text, "r": answer.refused, "m": answer.mode, "o": answer.notice,
            "c": [{"n": c.n, "p": c.passage_id, "s": round(c.score, 4), "q": [[q.start, q.end] for q in c.quotes]}
                  for c in answer.citations]}


def _compact(turn: Turn) -> dict:
    out = {"q": turn.question, "c": list(turn.context), "g": list(turn.suggestions)}
    if turn.answer is not None:
        out["a"] = _compact_answer(turn.answer)
    elif turn.error:
        out["e"] = turn.error
    else:
        out["p"], out["s"] = turn.partial, True
    return out


def _signature(key: bytes, turns: list[dict]) -> str:
    canonical = json.dumps(turns, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def to_browser(turns: list[Turn], key: bytes) -> dict:
    """The finished turns in the compact, signed form the browser keeps (the oldest dropped beyond BROWSER_BYTES)."""
    compact = [_compact(t) for t in turns[-MAX_TURNS:] if t.done]
    while len(compact) > 1 and len(json.dumps(compact, ensure_ascii=False).encode("utf-8", "replace")) > BROWSER_BYTES:
        compact.pop(0)
    return {"v": VERSION, "turns": compact, "sig": _signature(key, compact)}


def from_browser(data, key: bytes, passages) -> list[Turn]:
    """The turns of a conversation the browser kept; [] unless this server signed exactly this content.

    `passages(ids)` reads passages from the index; a citation whose passage has left the index is dropped.
    """
    if not isinstance(data, dict) or data.get("v") != VERSION or not isinstance(data.get("turns"), list):
        return []
    compact, sig = data["turns"][-MAX_TURNS:], data.get("sig")
    if len(compact) != len(data["turns"]) or not isinstance(sig, str) \
            or not hmac.compare_digest(sig, _signature(key, compact)):
        return []
    try:
        ids = [c["p"] for t in compact if "a" in t for c in t["a"]["c"]]
        found = {p.id: p for p in passages(list(dict.fromkeys(ids)))}
        return [_restored(t, found) for t in compact]
    except (KeyError, TypeError, ValueError, AttributeError):
        return []  # signed by this server, so only an older layout lands here


def _restored(t: dict, found: dict) -> Turn:
    turn = Turn(question=t["q"], context=list(t["c"]), suggestions=list(t["g"]))
    if "a" in t:
        a = t["a"]
        citations = []
        for c in a["c"]:
            p = found.get(c["p"])
            if p is None:
                continue
            quotes = tuple(Quote(s, e, p.text[s:e]) for s, e in c["q"] if 0 <= s < e <= len(p.text))
            citations.append(Citation(c["n"], p.text, p.source, p.section, c["s"], p.doc_id, p.id, quotes,
                                      kind=p.kind, url=p.url))
        turn.answer = Answer(turn.question, a["t"], a["r"], citations, a["m"], a["o"])
    elif "e" in t:
        turn.error = t["e"]
    else:
        turn.partial, turn.stopped = t["p"], True
    return turn
