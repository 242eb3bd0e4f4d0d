"""Split Documents into Passages: paragraphs, list items, FAQ answers and table rows, with heading paths and spans."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .corpus import Document
from .sentences import sentence_spans

# Bump when the chunking changes: the index records it and is rebuilt on a mismatch.
CHUNKING_VERSION = "blocks-1+units-2"
MAX_CHARS = 700

# Hand-written rather than llama-index's MarkdownNodeParser: that parser yields one node
# per heading section (whole sections here run to 2,000+ characters), has no notion of
# paragraphs, list items or table rows, and gives no reliable character spans.
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_ITEM = re.compile(r"^([ \t]*)([-*+•]|\d{1,3}[.)])[ \t]+")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


@dataclass(frozen=True)
class Passage:
    id: str  # content hash of document, section and text
    doc_id: str
    source: str  # document title
    section: str  # heading path, " > "-joined
    text: str  # verbatim from the document (a table row is shown under its header line)
    start: int  # character span of the passage in the document text
    end: int
    kind: str  # paragraph | item | row | code
    url: str = ""  # the document's address (front matter `url`, http or https only), "" when it has none

    def embedding_text(self) -> str:
        """What gets embedded: the nearest headings give a bare passage its topic."""
        heads = self.section.split(" > ")[-2:] if self.section else []
        return " > ".join(heads + [self.text]) if heads else self.text


@dataclass
class _Block:
    kind: str
    start: int
    end: int
    section: tuple[str, ...]
    header: str = ""  # table rows: the header and separator lines


def split_document(doc: Document, max_chars: int = MAX_CHARS) -> list[Passage]:
    blocks = list(_blocks(doc))
    url = document_url(doc)
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    for block in blocks:
        for start, end in _fit(doc.text, block.start, block.end, max_chars):
            body = doc.text[start:end]
            text = f"{block.header}\n{body}" if block.header and len(block.header) + len(body) < max_chars else body
            section = " > ".join(block.section)
            key = f"{doc.doc_id}\x1f{section}\x1f{text}"
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                key += f"\x1f{seen[key]}"
            pid = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
            passages.append(Passage(pid, doc.doc_id, doc.title, section, text, start, end, block.kind, url))
    return passages


def http_url(value) -> str:
    """`value` when it is an http(s) address without spaces, quotes or controls, else "" (never javascript: etc.)."""
    url = str(value or "").strip()
    if not re.match(r"(?i)https?://[^\s/?#]+", url) or re.search(r"[\s\x00-\x1f\x7f<>\"]", url):
        return ""
    return url


def document_url(doc: Document) -> str:
    """The document's front matter `url` when it is an http(s) address, else ""."""
    return http_url(doc.meta.get("url"))


def split_corpus(docs: list[Document], max_chars: int = MAX_CHARS) -> list[Passage]:
    return [p for doc in docs for p in split_document(doc, max_chars)]


def _lines(text: str, start: int):
    pos = start
    for line in text[start:].split("\n"):
        yield pos, line
        pos += len(line) + 1


def _blocks(doc: Document):
    """Yield the structural blocks of a document in order."""
    text = doc.text
    lines = list(_lines(text, doc.body_start))
    h1_count = sum(1 for _, ln in lines if re.match(r"^#[ \t]", ln)) if doc.format == "markdown" else 0
    path: list[tuple[int, str]] = []
    current: _Block | None = None
    in_fence = False
    table_header = ""

    def section() -> tuple[str, ...]:
        # A lone H1 repeats the title; leave it out of every section path.
        return tuple(t for lvl, t in path if not (lvl == 1 and h1_count == 1))

    def close():
        nonlocal current
        if current is not None and text[current.start:current.end].strip():
            yield current
        current = None

    for index, (pos, line) in enumerate(lines):
        end = pos + len(line)
        stripped = line.strip()
        if in_fence:
            current.end = end
            if _FENCE.match(line):
                in_fence = False
                yield from close()
            continue
        if _FENCE.match(line):
            yield from close()
            current = _Block("code", pos, end, section())
            in_fence = True
            continue
        if not stripped:
            if current is not None and current.kind != "item":
                yield from close()
            elif current is not None:
                # a blank line ends an item unless the next line is indented continuation
                nxt = lines[index + 1][1] if index + 1 < len(lines) else ""
                if not nxt.startswith((" ", "\t")) or _ITEM.match(nxt):
                    yield from close()
            continue
        heading = _heading(line, doc.format, lines, index)
        if heading:
            yield from close()
            level, title = heading
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, title))
            continue
        if stripped.startswith("|") and doc.format == "markdown":
            if current is None or current.kind != "row":
                yield from close()
                table_header = ""
            if not table_header:
                table_header = stripped
                current = _Block("row", pos, end, section())
                continue
            if re.fullmatch(r"\|?[\s:|-]+\|?", stripped) and "-" in stripped and "\n" not in table_header:
                table_header += "\n" + stripped
                continue
            current = None
            yield _Block("row", pos + line.index("|"), pos + len(line.rstrip()), section(), header=table_header)
            current = _Block("row", end, end, section())  # marks "inside a table"
            continue
        item = _ITEM.match(line)
        if item:
            yield from close()
            current = _Block("item", pos + item.end(), end, section())
            continue
        if current is not None and current.kind in {"paragraph", "item"}:
            current.end = end
            continue
        yield from close()
        current = _Block("paragraph", pos + len(line) - len(line.lstrip()), end, section())
    yield from close()


def _heading(line: str, fmt: str, lines, index: int):
    if fmt == "markdown":
        match = _HEADING.match(line)
        return (len(match.group(1)), match.group(2)) if match else None
    # Plain text has no markup: a short standalone line without closing punctuation is a heading.
    stripped = line.strip()
    prev_blank = index == 0 or not lines[index - 1][1].strip()
    next_blank = index + 1 >= len(lines) or not lines[index + 1][1].strip()
    if (prev_blank and next_blank and 0 < len(stripped) <= 120 and not _ITEM.match(line)
            and not stripped.endswith((".", ",", ";", ":", "”", '"')) and len(stripped.split()) <= 16):
        return (2, stripped)
    return None


def _fit(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Trim a block to its content and split it at sentence ends until every piece fits."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start <= max_chars:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    for s, e in sentence_spans(text[start:end]):
        s, e = s + start, e + start
        if pieces and e - pieces[-1][0] <= max_chars:
            pieces[-1] = (pieces[-1][0], e)
        elif e - s <= max_chars:
            pieces.append((s, e))
        else:
            pieces.extend(_cut_long_sentence(text, s, e, max_chars))
    return pieces


def _cut_long_sentence(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    # Only for a single sentence longer than max_chars: cut after a comma or space.
    pieces = []
    while end - start > max_chars:
        window = text[start:start + max_chars]
        cut = max(window.rfind(", "), window.rfind("; "))
        cut = cut + 1 if cut > max_chars // 3 else (window.rfind(" ") if window.rfind(" ") > 0 else max_chars)
        pieces.append((start, start + cut))
        start += cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces
