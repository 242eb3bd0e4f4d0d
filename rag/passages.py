"""Split Documents into Passages: paragraphs, list items, FAQ answers and table rows, with heading paths and spans."""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from .types import Document, Passage
from .sentences import sentence_spans

# Bump when the chunking changes: the index records it and is rebuilt on a mismatch.
CHUNKING_VERSION = "blocks-3+units-2"
MAX_CHARS = 700
LABEL_CHARS = 80  # a line this short without a sentence end is a label, not a passage
SHORT_CHARS = 40  # a paragraph this short ("Yes.") is read with the one after it
MERGE_TARGET = 300  # short paragraphs of a section are joined up to about this size (0: never)
EDGE_CHARS = 100  # a page's first or last passage this short, the same on most pages, is its header or footer
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")

# Hand-written rather than llama-index's MarkdownNodeParser: that parser yields one node
# per heading section (whole sections here run to 2,000+ characters), has no notion of
# paragraphs, list items or table rows, and gives no reliable character spans.
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_ITEM = re.compile(r"^([ \t]*)([-*+•]|\d{1,3}[.)])[ \t]+")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


@dataclass
class _Block:
    kind: str
    start: int
    end: int
    section: tuple[str, ...]
    header: str = ""  # table rows: the header and separator lines


def split_document(doc: Document, max_chars: int = MAX_CHARS, furniture: frozenset = frozenset()) -> list[Passage]:
    """The passages of one document; a first or last block whose `_edge_key` is in `furniture` is left out."""
    blocks = list(_blocks(doc))
    while blocks and _edge_key(doc.text, blocks[-1]) in furniture:
        blocks.pop()
    while blocks and _edge_key(doc.text, blocks[0]) in furniture:
        blocks.pop(0)
    titles = frozenset(t.lower() for t in [doc.title, *(t for b in blocks for t in b.section)])
    blocks = tidy_blocks(doc.text, blocks, max_chars, titles=titles)
    url = document_url(doc)
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    for block in blocks:
        for start, end in _fit(doc.text, block.start, block.end, max_chars, block.kind == "code"):
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
    furniture = _repeated_edges(docs)
    return [p for doc in docs for p in split_document(doc, max_chars, furniture)]


def _edge_key(text: str, block: _Block) -> str:
    body = _content(text, block)
    if block.kind == "row" or len(body) >= EDGE_CHARS or not _is_label(body):
        return ""  # a sentence is content even when every page has it
    return re.sub(r"\d+", "0", " ".join(body.lower().split()))


def _repeated_edges(docs: list[Document]) -> frozenset:
    """Short first or last lines, not sentences, that recur on at least half the pages (three or more): a page
    header or footer ("This page last modified on …", "Part of the … suite"), digits aside."""
    counts: dict[str, int] = {}
    for doc in docs:
        blocks = list(_blocks(doc))
        for key in {_edge_key(doc.text, b) for b in blocks[:1] + blocks[-1:]} - {""}:
            counts[key] = counts.get(key, 0) + 1
    return frozenset(k for k, n in counts.items() if n >= 3 and n >= len(docs) / 2)


def _lines(text: str, start: int):
    pos = start
    for line in text[start:].split("\n"):
        yield pos, line
        pos += len(line) + 1


def _blocks(doc: Document):
    """Yield the structural blocks of a document in order."""
    text = doc.text
    lines = list(_lines(text, doc.body_start))
    h1_count = _h1_count(lines) if doc.format == "markdown" else 0
    layout = _text_layout(lines) if doc.format != "markdown" else None
    underline_at = -1
    in_grid = False
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
        if index == underline_at:
            continue
        if layout is not None and _GRID_RULE.match(stripped):
            # a rule of a text table ("+----+", "|----+----|"): it ends a row; each row, however many lines its
            # wrapped cells take, is one block, so no passage begins in the middle of a row
            yield from close()
            in_grid = True
            continue
        if layout is not None and in_grid and stripped.startswith("|"):
            if current is None:
                current = _Block("paragraph", pos + line.index("|"), end, section())
            current.end = end
            continue
        in_grid = False
        heading = _heading(line, doc.format, lines, index, layout)
        if heading:
            if layout is not None and index + 1 < len(lines) and _UNDERLINE.match(lines[index + 1][1]):
                underline_at = index + 1
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


def _content(text: str, block: _Block) -> str:
    return text[block.start:block.end].strip()


def _is_label(text: str) -> bool:
    """A heading-like line, a label or a marker ("Note", "See also", "[2]", "A better way:"): nothing to cite alone."""
    if len(text) > LABEL_CHARS or "\n" in text:
        return False
    return text.endswith(":") or not _SENTENCE_END.search(text) or not re.search(r"\w{2}", text)


def _joins(text: str, group: list[_Block], block: _Block, max_chars: int, target: int) -> bool:
    """Whether `block` continues the passage that `group` has begun (same section, still small enough)."""
    last = group[-1]
    if block.kind == "row" or last.kind == "row" or block.section != last.section:
        return False
    if block.end - group[0].start > max_chars:
        return False
    last_text, next_text = _content(text, last), _content(text, block)
    if last.kind in {"paragraph", "code"} and any(b.kind == "item" for b in group):
        return False  # a list, once over, does not take the paragraphs after it
    if last.kind == "item" and not (last_text.endswith(":") and block.kind == "code"):
        # items that are bare names run together ("- Wing IDE", "- PyCharm"); an item that says something is a
        # passage of its own
        return block.kind == "item" and _is_label(last_text) and _is_label(next_text)
    if last.kind == "code":
        return block.kind == "paragraph" and next_text[:1].islower()  # "is logically equivalent to saying:"
    if last_text.endswith(":") or _is_label(last_text) or len(last_text) < SHORT_CHARS:
        # a label or lead-in is read with what it introduces; a list only when its items are bare names (a
        # list of statements stays one passage per item, each quotable on its own)
        return block.kind != "item" or _is_label(next_text) or len(last_text) < SHORT_CHARS
    if block.kind == "code":
        return True  # code shows what the paragraph before it says
    if block.kind == "paragraph" and target and len(last_text) < target and len(next_text) < target:
        return block.end - group[0].start <= 2 * target
    return False


def tidy_blocks(text: str, blocks: list[_Block], max_chars: int = MAX_CHARS,
                target: int | None = None, titles: frozenset = frozenset()) -> list[_Block]:
    """Passage hygiene: no passage that is only a label, a marker or a lead-in.

    A label or a paragraph ending with ":" is joined to the paragraph, short list or code it
    introduces; runs of short items are one passage; short paragraphs of one section are joined
    up to `target` characters. A label left alone at the end of its section joins the passage
    before it; a bare marker ("[2]", "…") or a restated title or heading (a table of contents line)
    that cannot join anything is dropped.
    """
    target = MERGE_TARGET if target is None else target
    groups: list[list[_Block]] = []
    for block in blocks:
        if block.kind != "row" and not re.search(r"\w{2}", _content(text, block)):
            continue  # a bare marker: "[2]", "…", "|"
        if groups and _joins(text, groups[-1], block, max_chars, target):
            groups[-1].append(block)
        else:
            groups.append([block])
    merged: list[_Block] = []
    for group in groups:
        only = _content(text, group[0])
        if len(group) == 1 and group[0].kind != "row" and _is_label(only):
            previous = merged[-1] if merged else None
            if (previous is not None and previous.kind != "row" and previous.section == group[0].section
                    and group[0].end - previous.start <= max_chars and not only.endswith(":")):
                previous.end = group[0].end
                continue
            if only.lower() in titles:
                continue  # a title or heading said again (a line of a table of contents)
        kinds = {b.kind for b in group}
        kind = group[0].kind if len(kinds) == 1 else "item" if "item" in kinds and "code" not in kinds else "paragraph"
        merged.append(_Block(kind, group[0].start, group[-1].end, group[0].section, group[0].header))
    return merged


def _h1_count(lines) -> int:
    """Distinct level-one headings outside fenced code (where "# " starts a shell comment); an HTML page's
    heading said again after a labelled part (see html_text) counts once."""
    seen, fence = set(), False
    for _, line in lines:
        if _FENCE.match(line):
            fence = not fence
        elif not fence and re.match(r"^#[ \t]", line):
            seen.add(line.strip())
    return len(seen)


def _heading(line: str, fmt: str, lines, index: int, layout: _TextLayout | None = None):
    if fmt == "markdown":
        match = _HEADING.match(line)
        return (len(match.group(1)), match.group(2)) if match else None
    # Plain text has no markup: a short standalone line without closing punctuation is a heading, or a line
    # underlined with ===/--- (the underline itself is skipped by the caller).
    stripped = " ".join(line.split())  # also the no-break spaces of "1.1.\u00a0Title" (text rendered from HTML)
    if not stripped or _ITEM.match(line) or len(stripped) > 120 or len(stripped.split()) > 16:
        return None
    if layout is not None and layout.body_indent and _indent(line) >= layout.body_indent:
        return None  # indented like the body text: a command, a label ("Note") or a quoted line, not a heading
    nxt = lines[index + 1][1] if index + 1 < len(lines) else ""
    underline = _UNDERLINE.match(nxt)
    if underline and abs(len(nxt.strip()) - len(stripped)) <= 3:
        return (1 if underline.group(1) == "=" else 2, stripped)
    prev_blank = index == 0 or not lines[index - 1][1].strip()
    if not (prev_blank and not nxt.strip()) or stripped.endswith((",", ";", ":", "”", '"')):
        return None
    number = _NUMBERED_HEADING.match(stripped)
    if number:  # "1.2.3. Title", "Chapter 4. Title": the numbering says the level
        level = min(6, len(number.group(1).rstrip(".").split(".")))
        if layout is not None:
            layout.numbered_level = level
        return (level, stripped)
    if stripped.endswith("."):
        return None
    # among numbered headings, an unnumbered one ("Table 1.1. Packages", "Example") belongs to the last of them
    return (layout.numbered_level + 1 if layout is not None and layout.numbered_level else 2, stripped)


_GRID_RULE = re.compile(r"^[+|][-=+|]{3,}[+|]$")
_UNDERLINE = re.compile(r"^[ \t]*([=\-~*])\1{2,}[ \t]*$")
# "Chapter 1. Tutorials", "1.1. Console basics", "2.3.1 The shell", "A.2. Tables": level from the count of parts.
_NUMBERED_HEADING = re.compile(r"^(?:(?i:chapter|section|part|appendix)\s+)?((?:\d{1,3}|[A-Z](?=\.))(?:\.\d{1,3})*\.?)\s+\w")


@dataclass
class _TextLayout:
    """How a plain-text document is laid out: its body's indentation (text rendered from HTML or DocBook
    indents paragraphs and code, not headings), and the level of the last numbered heading read so far."""
    body_indent: int = 0
    numbered_level: int = 0


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())  # a non-breaking space counts: w3m and lynx indent with them too


def _text_layout(lines) -> _TextLayout:
    """The most common indentation of the document's long lines (its paragraphs) when most of them share it."""
    indents = Counter(_indent(line) for _, line in lines if len(line.strip()) >= 40)
    if not indents:
        return _TextLayout()
    indent, count = indents.most_common(1)[0]
    return _TextLayout(body_indent=indent if count >= 0.6 * sum(indents.values()) else 0)


def _fit(text: str, start: int, end: int, max_chars: int, code: bool = False) -> list[tuple[int, int]]:
    """Trim a block to its content and split it at sentence ends (code: at line ends) until every piece fits."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start <= max_chars:
        return [(start, end)]
    if code:
        return _cut_lines(text, start, end, max_chars)
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


def _cut_lines(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """A long code block in pieces of whole lines, cut at a blank line when one is near."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        window = text[start:start + max_chars]
        cut = window.rfind("\n\n")
        if cut < max_chars // 2:
            cut = window.rfind("\n")
        if cut <= 0:
            pieces.extend(_cut_long_sentence(text, start, start + max_chars, max_chars))
            start += max_chars
        else:
            pieces.append((start, start + cut))
            start += cut
        while start < end and text[start] == "\n":  # a line keeps its indentation
            start += 1
    if end > start:
        pieces.append((start, end))
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
