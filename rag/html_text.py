"""Reduce an HTML page to Markdown text: its content's headings, paragraphs, lists, definitions, tables and code."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .html_furniture import is_admonition, is_furniture, is_inline_furniture
from .html_tree import BLOCKS, HEADINGS, SKIP, Node, parse_html

# Hand-written rather than trafilatura or readability-lxml: measured on four real doc sets (see
# eval/html_compare.py), those drop list items and definition terms, keep "¶" anchors and put
# inline Markdown around code and links; they know nothing of FAQ questions or definition lists.
_CONTAINERS = BLOCKS | {"#root", "html", "head", "body", "form", "li", "td", "th", "tr", "tbody", "thead", "tfoot",
                        "caption", "legend", "noframes", "frameset"}
_BOLD = {"b", "strong"}
_MAX_INDENT = 4  # list levels shown by indentation; deeper ones are indented as the fourth
_LABEL_CHARS = 150  # a bold line or question longer than this is a sentence, not a label
_NUMBERED = re.compile(r"^(\(\d{1,3}\)|\d{1,3}(\.\d{1,3})*[.)]|Q\d*[.:)])\s")
_NUMBERED_QUESTION = re.compile(r"^(\(\d{1,3}\)|\d{1,3}(\.\d{1,3})*[.)]|Q\d*[.:)]|Question\s*\d*[.:])\s+\S.*\?$", re.I)
_LEAD_ESCAPE = re.compile(r"^(#|\||```|~~~|>)")
_ANCHOR_TAIL = re.compile(r"[\s¶§#🔗]+$")


@dataclass
class _Block:
    kind: str  # text | heading | label | restore
    text: str = ""
    level: int = 0  # heading level
    prefix: str = ""  # label: the list marker it would keep as plain text
    scope: int = 0  # label: the element whose content it heads; restore: that element ended
    strength: int = 0  # label: 2 a heading whenever content follows (bold, term, numbered), 1 a bare question
    within: frozenset = frozenset()  # text: the labelled elements it is inside


def _clean(text: str) -> str:
    return " ".join(text.split())


def _escape_lead(text: str) -> str:
    """A paragraph starting with "#", "|" or a fence must not read as a heading, table or code block."""
    return "\\" + text if _LEAD_ESCAPE.match(text) else text


class _Writer:
    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.pieces: list[tuple[str, bool]] = []  # inline text of the block being read, and whether it is bold
        self.bold = 0
        self.marker = ""  # a list item's marker, written before its first block
        self.lead = ""  # a definition's term, written before its first block
        self.indent = ""  # continuation lines of a list item
        self.scopes: list[Node | None] = [None]
        self.labelled: set[int] = set()  # open scopes holding a label, which end with a restore
        self.cells = 0  # table cells open around the text being read

    # -- walking ---------------------------------------------------------------------------------
    def walk(self, node: Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                self.pieces.append((child, self.bold > 0))
            else:
                self.element(child)

    def element(self, node: Node) -> None:
        tag = node.tag
        if tag in SKIP or is_furniture(node) or is_inline_furniture(node):
            return
        if tag in HEADINGS:
            self.flush()
            text = _ANCHOR_TAIL.sub("", inline_text(node))
            if text:
                self.marker = self.lead = ""
                self.blocks.append(_Block("heading", text, level=int(tag[1])))
        elif tag == "br":
            self.pieces.append((" ", self.bold > 0))
        elif tag == "hr":
            self.flush()
        elif tag in {"ul", "ol", "menu"}:
            self.list(node)
        elif tag == "dl":
            self.definitions(node)
        elif tag == "pre":
            self.code(node)
        elif tag == "table":
            self.table(node)
        elif tag == "summary" or (tag in _CONTAINERS and _has_word(node, "question")):
            self.flush()
            self.label(inline_text(node), strength=2, scope=id(self.scopes[-1]))
        elif tag in _CONTAINERS:
            self.container(node)
        elif tag in _BOLD:
            self.bold += 1
            self.walk(node)
            self.bold -= 1
        else:
            self.walk(node)

    def container(self, node: Node) -> None:
        self.flush()
        self.scopes.append(node)
        cell = node.tag in {"td", "th"}
        self.cells += cell
        self.walk(node)
        self.flush(ending=True)
        self.cells -= cell
        self.end_scope()

    def end_scope(self) -> None:
        scope = id(self.scopes.pop())
        if scope in self.labelled:
            self.labelled.discard(scope)
            self.blocks.append(_Block("restore", scope=scope))

    # -- blocks ----------------------------------------------------------------------------------
    def flush(self, ending: bool = False) -> None:
        """Write the inline text read so far as one block (a label when it is all bold or a FAQ question)."""
        pieces, self.pieces = self.pieces, []
        # inside a table cell, text pieces are joined with spaces, as this reducer always wrote cells (and the
        # eval sets' quotes of them rely on it)
        joiner = " " if self.cells else ""
        text = _clean(joiner.join(p for p, _ in pieces))
        if not text:
            return
        bold = all(b for p, b in pieces if p.strip())
        # the block that ends here is the label of its parent's content; a label before a sibling block, of this one
        scope = id(self.scopes[-2] if ending and len(self.scopes) > 1 else self.scopes[-1])
        whole_item = ending and self.scopes[-1] is not None and self.scopes[-1].tag in {"li", "dd", "td", "th"}
        numbered = _NUMBERED.match(text)
        if not self.lead and not whole_item and len(text) <= _LABEL_CHARS * (2 if numbered else 1):
            if bold and (numbered or not text.endswith((".", "!", ":", ";", ","))) and not text[0].islower():
                self.label(text, strength=2, scope=scope)
                return
            if text.endswith("?") and len(text.split("? ")) == 1:
                self.label(text, strength=2 if _NUMBERED_QUESTION.match(text) else 1, scope=scope)
                return
        self.text_line(text)

    def text_line(self, text: str) -> None:
        if self.marker:
            line = self.marker + self.lead + text
            self.marker = self.lead = ""
        else:
            line = self.indent + _escape_lead(text)
        self.blocks.append(_Block("text", line, within=self.within()))

    def within(self) -> frozenset:
        return frozenset(self.labelled)  # the open elements that hold a label

    def label(self, text: str, strength: int, scope: int) -> None:
        text = _clean(text)
        if not text:
            return
        prefix = self.marker or self.indent
        self.marker = ""
        self.labelled.add(scope)
        self.blocks.append(_Block("label", text, prefix=prefix, scope=scope, strength=strength))

    def list(self, node: Node) -> None:
        self.flush()
        self.marker = ""
        ordered = node.tag == "ol"
        number = _int(node.get("start"), 1)
        outer_indent = self.indent
        self.scopes.append(node)
        for child in node.children:
            if isinstance(child, str):
                self.pieces.append((child, self.bold > 0))
                continue
            if child.tag != "li" or is_furniture(child):
                self.element(child)
                continue
            self.flush()
            number = _int(child.get("value"), number)
            self.marker = outer_indent + (f"{number}. " if ordered else "- ")
            self.indent = outer_indent + "  " if len(outer_indent) < 2 * _MAX_INDENT else outer_indent
            self.container(child)
            self.marker = ""
            number += 1
        self.flush()
        self.indent = outer_indent
        self.end_scope()

    def definitions(self, node: Node) -> None:
        """A term stays with its definition: as a heading over it when the definitions are long or the
        terms are questions, else as one item "term: definition"."""
        self.flush()
        groups: list[tuple[list[Node], list[Node]]] = []
        for child in _dl_children(node):
            if child.tag == "dt":
                if not groups or groups[-1][1]:
                    groups.append(([], []))
                groups[-1][0].append(child)
            elif child.tag == "dd":
                if not groups:
                    groups.append(([], []))
                groups[-1][1].append(child)
        as_headings = any(_long_definition(dds) or any(inline_text(t).endswith("?") for t in dts)
                          for dts, dds in groups)
        self.scopes.append(node)
        for dts, dds in groups:
            term = ", ".join(t for t in (_ANCHOR_TAIL.sub("", inline_text(dt)) for dt in dts) if t)
            self.flush()
            if as_headings and term:
                self.label(term, strength=2, scope=id(node))
            elif term:
                self.marker = self.indent + "- "
                self.lead = term if term.endswith((":", "?", ".")) else term + ":"
                self.lead += " "
            outer_indent = self.indent
            if not as_headings and term and len(outer_indent) < 2 * _MAX_INDENT:
                self.indent = outer_indent + "  "
            for dd in dds:
                self.container(dd)
            if self.lead:  # a term without a definition
                self.text_line(self.lead.rstrip(": ").rstrip())
            self.indent = outer_indent
        self.end_scope()

    def code(self, node: Node) -> None:
        self.flush()
        self.marker = self.lead = ""
        code = node.text()
        code = code[1:] if code.startswith("\n") else code
        lines = [line.rstrip() for line in code.expandtabs(8).split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        if not lines:
            return
        fence = "```"
        if any(re.match(r"[ \t]*```", line) for line in lines):
            fence = "~~~"
        lines = ["\\" + line if re.match(r"[ \t]*(```|~~~)", line) else line for line in lines]
        self.blocks.append(_Block("text", "\n".join([fence, *lines, fence]), within=self.within()))

    def table(self, node: Node) -> None:
        self.flush()
        rows = [[c for c in tr.elements() if c.tag in {"td", "th"} and not is_furniture(c)] for tr in _rows(node)]
        rows = [r for r in rows if r]
        if _is_layout(node, rows):
            self.scopes.append(node)
            for tr in _rows(node):
                if _has_word(tr, "question"):
                    self.label(inline_text(tr), strength=2, scope=id(node))
                    continue
                for cell in tr.elements():
                    if cell.tag in {"td", "th"}:
                        self.container(cell)
            self.end_scope()
            return
        lines = []
        for cells in rows:
            # text pieces of a cell are joined with spaces, as this reducer always wrote rows (quotes rely on it)
            texts = [inline_text(c, " ").replace("|", "\\|") for c in cells]
            if not any(texts):
                continue
            lines.append("| " + " | ".join(texts) + " |")
            if len(lines) == 1:
                lines.append("|" + " --- |" * len(texts))
        if lines:
            self.blocks.append(_Block("text", "\n".join(lines), within=self.within()))


def _has_word(node: Node, word: str) -> bool:
    return any(word in re.split(r"[-_]", token) for token in node.get("class").lower().split())


def _int(value: str, default: int) -> int:
    return int(value) if value.strip().isdigit() and len(value.strip()) < 6 else default


def _dl_children(node: Node):
    for child in node.elements():
        if child.tag == "div" and not is_furniture(child):  # HTML lets a <div> group a term and its definition
            yield from _dl_children(child)
        elif child.tag in {"dt", "dd"} and not is_furniture(child):
            yield child


def _long_definition(dds: list[Node]) -> bool:
    blocks = sum(1 for dd in dds for c in dd.elements() if c.tag in BLOCKS | {"ul", "ol", "dl", "pre", "table"})
    return blocks >= 2 or sum(len(_clean(dd.text())) for dd in dds) > 300


def _rows(table: Node):
    """The rows of this table, not of tables nested in its cells."""
    stack = list(reversed(list(table.elements())))
    while stack:
        node = stack.pop()
        if node.tag == "tr":
            yield node
        elif node.tag in {"thead", "tbody", "tfoot"}:
            stack.extend(reversed(list(node.elements())))


def _is_layout(table: Node, rows: list[list[Node]]) -> bool:
    """A table used for layout (an admonition box, a FAQ's question/answer grid), not for data."""
    if table.get("role") in {"presentation", "none"} or len(rows) < 2 or max(map(len, rows)) < 2:
        return True
    node = table.parent
    while node is not None and node.tag in {"div", "span", "aside", "section"}:
        if is_admonition(node):
            return True
        node = node.parent
    if any(_has_word(tr, "question") or _has_word(tr, "answer") for tr in _rows(table)):
        return True
    return any(c.tag in {"pre", "table", "ul", "ol", "dl"} for row in rows for cell in row for c in cell.iter()
               if c is not cell)


def inline_text(node: Node, joiner: str = "") -> str:
    """The text of an element read as one line: furniture, anchors and footnote markers left out."""
    out: list[str] = []
    stack: list[Node | str] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif item is node or not (item.tag in SKIP or is_furniture(item) or is_inline_furniture(item)):
            if item.tag in {"br", "p", "div", "li", "dt", "dd"}:
                out.append(" ")
            stack.extend(reversed(item.children))
    return _clean(joiner.join(out))


def _settle(blocks: list[_Block]) -> list[str]:
    """Decide which labels head what follows them, and give content after a labelled part back its section."""
    lines: list[str] = []
    real_level = 1
    real_line = ""
    in_label = False
    restore = False
    label_scope = 0
    questions: dict[int, int] = {}
    for i, block in enumerate(blocks):
        if block.kind == "label" and block.strength == 1 and _heads_content(blocks, i):
            questions[block.scope] = questions.get(block.scope, 0) + 1
    for i, block in enumerate(blocks):
        if block.kind == "heading":
            real_level, real_line = block.level, "#" * block.level + " " + block.text
            in_label = restore = False
            lines.append(real_line)
        elif block.kind == "label":
            strong = block.strength >= 2 or questions.get(block.scope, 0) >= 2
            if strong and _heads_content(blocks, i):
                lines.append("#" * min(6, real_level + 1) + " " + block.text)
                in_label, restore, label_scope = True, False, block.scope
            else:
                if restore and real_line:
                    lines.append(real_line)
                    in_label = restore = False
                lines.append(block.prefix + _escape_lead(block.text))
        elif block.kind == "restore":
            restore = restore or in_label
        else:
            if restore and real_line:
                lines.append(real_line)
                in_label = False
            restore = False
            # under a label that was a list item's lead, the item's text is no longer indented
            lines.append(block.text.lstrip(" ") if in_label and label_scope in block.within else block.text)
    return lines


def _heads_content(blocks: list[_Block], i: int) -> bool:
    """Whether the label at i is followed by its own content: text inside the element it labels."""
    nxt = blocks[i + 1] if i + 1 < len(blocks) else None
    return nxt is not None and nxt.kind == "text" and blocks[i].scope in nxt.within


def _content_root(root: Node) -> Node:
    """The page's <main> (or role=main) when it holds most of its text, else the whole page."""
    mains = [n for n in root.iter() if n.tag == "main" or n.get("role") == "main"]
    if len(mains) != 1:
        return root
    main_chars = len(_clean(mains[0].text()))
    body_chars = len(_clean(root.text()))
    return mains[0] if main_chars >= 0.25 * body_chars else root


def html_to_markdown(source: str) -> tuple[str, dict]:
    """Markdown text of the page's content and {title, author, description} found in its head."""
    root, meta, title = parse_html(source)
    writer = _Writer()
    writer.walk(_content_root(root))
    writer.flush()
    lines = _settle(writer.blocks)
    meta = dict(meta)
    if _clean(title):
        meta["title"] = _clean(title)
    text = "\n\n".join(lines).strip() + "\n"
    return text, meta
