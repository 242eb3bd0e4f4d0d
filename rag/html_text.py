"""Reduce an HTML article to Markdown text that keeps its headings, paragraphs, lists and tables."""
from __future__ import annotations

import html
import re
from collections import Counter
from html.parser import HTMLParser

# Hand-written on the standard library's HTMLParser: the design card has no HTML
# library, and we only need block structure (headings, paragraphs, items, table rows).
_BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "pre", "header", "footer", "dd", "dt", "figcaption"}
# Page furniture and form controls. A <form> itself is kept: ASP.NET pages wrap the whole body in one.
_SKIP = {"script", "style", "noscript", "template", "svg", "math", "nav", "iframe",
         "button", "select", "option", "datalist", "textarea"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
# An element that a new one of the same kind closes, and the elements it cannot be closed across.
_SELF_CLOSING = {"li": {"ul", "ol", "menu"}, "dt": {"dl"}, "dd": {"dl"}, "tr": {"table"},
                 "td": {"tr", "table"}, "th": {"tr", "table"}, "option": {"select", "datalist"}, "p": _BLOCKS - {"p"}}
_IMPLIED = {"dd": "dt", "dt": "dd", "td": "th", "th": "td"}  # also closed by their sibling kind
_CLOSES_NAV = {"main", "article"}  # the page's content is never navigation: an unclosed <nav> ends here
_HEADINGS = {f"h{n}" for n in range(1, 7)}
_CLOSES_P = _BLOCKS | _HEADINGS | {"ul", "ol", "dl", "table", "form", "nav", "hr"}
_MAX_DEPTH = 512  # deeper start tags are ignored (browsers cap nesting too); keeps hostile pages linear


class _Reducer(HTMLParser):
    """Open elements are kept on a stack, so a skipped element ends at its end tag, when an element
    around it closes, or at the end of the document, whichever comes first: a page that forgets
    `</nav>` or `</svg>` loses at most the rest of the enclosing element, as a browser would nest it.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.buffer: list[str] = []
        self.prefix = ""
        self.open: list[str] = []
        self.open_counts: Counter[str] = Counter()
        self.skipping = 0  # skipped elements on the stack
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.rows_done = 0
        self.meta: dict = {}
        self.in_title = False
        self.title: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            if not self.skipping:
                self._void(tag, dict(attrs))
            return
        if tag in _CLOSES_NAV and self.open_counts["nav"]:
            self._close("nav")
        self._close_implied(tag)
        if len(self.open) >= _MAX_DEPTH:
            return
        self.open.append(tag)
        self.open_counts[tag] += 1
        if tag in _SKIP:
            self.skipping += 1
        if not self.skipping:
            self._start(tag)

    def handle_endtag(self, tag):
        if self.open_counts[tag]:  # a stray end tag closes nothing
            self._close(tag)

    def handle_data(self, data):
        if self.skipping:
            return
        if self.in_title:
            self.title.append(data)
        elif self.cell is not None:
            self.cell.append(data)
        else:
            self.buffer.append(data)

    def close(self):
        super().close()
        while self.open:  # the end of the document closes whatever is still open
            self._pop()
        self._flush()

    def _close(self, tag):
        """Close the innermost open `tag` and every element opened inside it."""
        while self.open and self._pop() != tag:
            pass

    def _close_implied(self, tag):
        """A new <li>, <p>, <tr>, <td>… closes an open one of its kind (HTML lets authors omit those end tags)."""
        if tag in _CLOSES_P and self.open and self.open[-1] == "p":
            self._pop()
        boundaries = _SELF_CLOSING.get(tag)
        kinds = {tag, _IMPLIED.get(tag, tag)}
        if not boundaries or not any(self.open_counts[kind] for kind in kinds):
            return
        for open_tag in reversed(self.open):
            if open_tag in kinds:
                self._close(open_tag)
                return
            if open_tag in boundaries:
                return

    def _pop(self) -> str:
        tag = self.open.pop()
        self.open_counts[tag] -= 1
        if not self.skipping:
            self._end(tag)
        if tag in _SKIP:
            self.skipping -= 1
        return tag

    def _void(self, tag, attrs):
        if tag == "meta":
            if attrs.get("name") in {"author", "description"} and attrs.get("content"):
                self.meta[attrs["name"]] = attrs["content"]
        elif tag == "br":
            self.buffer.append(" ")

    def _start(self, tag):
        if tag == "title":
            self.in_title = True
        elif tag in _HEADINGS:
            self._flush()
            self.prefix = "#" * int(tag[1]) + " "
        elif tag == "li":
            self._flush()
            self.prefix = "- "
        elif tag in _BLOCKS:
            self._flush()
        elif tag == "table":
            self._flush()
            self.rows_done = 0
        elif tag == "tr":
            self.row = []
        elif tag in {"td", "th"} and self.row is not None:
            self.cell = []

    def _end(self, tag):
        if tag == "title":
            self.in_title = False
        elif tag in _HEADINGS or tag == "li" or tag in _BLOCKS:
            self._flush()
        elif tag in {"td", "th"} and self.row is not None and self.cell is not None:
            self.row.append(_clean(" ".join(self.cell)).replace("|", "\\|"))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.row:
                self.lines.append("| " + " | ".join(self.row) + " |")
                if self.rows_done == 0:
                    self.lines.append("|" + " --- |" * len(self.row))
                self.rows_done += 1
            self.row = None
        elif tag == "table":
            self.lines.append("")

    def _flush(self):
        text = _clean("".join(self.buffer))
        if text:
            self.lines.append(self.prefix + text)
            self.lines.append("")
        self.buffer = []
        self.prefix = ""


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def html_to_markdown(source: str) -> tuple[str, dict]:
    """Markdown text of the page body and {title, author, description} found in its head."""
    reducer = _Reducer()
    reducer.feed(source)
    reducer.close()
    meta = dict(reducer.meta)
    title = _clean("".join(reducer.title))
    if title:
        meta["title"] = title
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(reducer.lines)).strip() + "\n"
    return text, meta
