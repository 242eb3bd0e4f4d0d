"""Reduce an HTML article to Markdown text that keeps its headings, paragraphs, lists and tables."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Hand-written on the standard library's HTMLParser: the design card has no HTML
# library, and we only need block structure (headings, paragraphs, items, table rows).
_BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "pre", "header", "footer", "dd", "dt", "figcaption"}
_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "head", "iframe", "form", "button"}


class _Reducer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.buffer: list[str] = []
        self.prefix = ""
        self.skip_depth = 0
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.rows_done = 0
        self.meta: dict = {}
        self.in_title = False
        self.title: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip_depth += 1
            if tag == "head":
                self.skip_depth -= 1  # keep reading <title> and <meta> inside head
            return
        if tag == "title":
            self.in_title = True
        elif tag == "meta":
            a = dict(attrs)
            if a.get("name") in {"author", "description"} and a.get("content"):
                self.meta[a["name"]] = a["content"]
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self.prefix = "#" * int(tag[1]) + " "
        elif tag == "li":
            self._flush()
            self.prefix = "- "
        elif tag in _BLOCKS:
            self._flush()
        elif tag == "br":
            self.buffer.append(" ")
        elif tag == "table":
            self._flush()
            self.rows_done = 0
        elif tag == "tr":
            self.row = []
        elif tag in {"td", "th"} and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in _SKIP and tag != "head":
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag == "title":
            self.in_title = False
        elif re.fullmatch(r"h[1-6]", tag) or tag == "li" or tag in _BLOCKS:
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

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif self.skip_depth:
            return
        elif self.cell is not None:
            self.cell.append(data)
        else:
            self.buffer.append(data)

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
    reducer._flush()
    meta = dict(reducer.meta)
    title = _clean("".join(reducer.title))
    if title:
        meta["title"] = title
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(reducer.lines)).strip() + "\n"
    return text, meta
