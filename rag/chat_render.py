"""An Answer as the chat's HTML: [n] links with a card of the quoted sentence, sources with the quotes marked."""
from __future__ import annotations

import html
import re
from urllib.parse import quote

from .types import Answer, Citation
from .passages import http_url
from .units import row_cells

_MARKER = re.compile(r"\[(\d+)\]")
_ROW_QUOTE = re.compile(r"^(\|.*\|) \[(\d+)\]$")
_MARKDOWN = re.compile(r"([\\`*_\[\]{}#|~!])")
_UNMARKDOWN = re.compile(r"\\([\\`*_\[\]{}#|~!])")
CARD_CHARS = 280  # a hover card shows at most this much of the quoted sentences
FRAGMENT_WORDS = 4  # words at each end of a quote in a link's #:~:text= fragment


def escape(text: str) -> str:
    """Reader text made inert for the chat's Markdown: no HTML, no Markdown (links, images, emphasis) of its own."""
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


def unescape(text: str) -> str:
    """escape() undone: what the reader typed, from a message they edit in the chat."""
    return html.unescape(_UNMARKDOWN.sub(r"\1", text))


def _text(text: str) -> str:
    """Text for the HTML the chat renders as is: escaped, one line (a blank line would end the HTML block)."""
    return html.escape(text.replace("\r", " ").replace("\n", " "), quote=True)


def _is_table(text: str) -> bool:
    lines = text.splitlines()
    return len(lines) >= 3 and lines[0].lstrip().startswith("|") and set(lines[1].replace("|", "").strip()) <= set("-: ")


def _row_readout(passage: str, row_line: str) -> str:
    """A table row read out under its column names: <strong>Definition</strong> — Emotional Intimacy: …; …

    Narrow screens cannot show a four-column table; the words of every cell stay verbatim.
    """
    header, row = row_cells(passage.splitlines()[0]), row_cells(row_line)
    if len(header) != len(row):
        return _text(row_line)
    pairs = "; ".join(f"{_text(name)}: {_text(cell)}" for name, cell in zip(header[1:], row[1:]))
    return f"<strong>{_text(row[0])}</strong> — {pairs}"


def where(c: Citation) -> str:
    """A citation's place: its heading path (› between levels), or the article's title when it has none."""
    return c.section.replace(" > ", " › ") if c.section else c.source


def _source_id(turn: int, n: int) -> str:
    return f"source-{turn}-{n}"


def cite_link(n: int, cited: Citation | None, turn: int) -> str:
    """[n] as a link to its source, with a card of the sentences it quotes (shown on hover and focus)."""
    label = f"[{n}]"
    if cited is None:
        return f"<span class=\"cite\">{label}</span>"
    quoted = " … ".join(q.text for q in sorted(cited.quotes, key=lambda q: q.start)) or cited.text
    if len(quoted) > CARD_CHARS:
        quoted = quoted[:CARD_CHARS - 1].rstrip() + "…"
    card = (f"<span class=\"cite-card\" role=\"tooltip\"><span class=\"cite-quote\">“{_text(quoted)}”</span>"
            f"<span class=\"cite-where\">{_text(where(cited))}</span></span>")
    return f"<a class=\"cite\" href=\"#{_source_id(turn, n)}\">{label}{card}</a>"


def _with_links(text: str, by_n: dict[int, Citation], turn: int) -> str:
    pieces = _MARKER.split(text)
    return "".join(_text(p) if i % 2 == 0 else cite_link(int(p), by_n.get(int(p)), turn)
                   for i, p in enumerate(pieces))


def body_html(text: str, citations: list[Citation] = (), turn: int = 0) -> str:
    """The answer's text as paragraphs and lists, [n] as links (plain numbers while citations are unknown)."""
    by_n = {c.n: c for c in citations}
    blocks: list[str] = []
    items: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(f"<p>{' '.join(paragraph)}</p>")
            paragraph.clear()
        if items:
            blocks.append(f"<ul>{''.join(items)}</ul>")
            items.clear()

    for line in text.split("\n"):
        match = _ROW_QUOTE.match(line)
        cited = by_n.get(int(match.group(2))) if match else None
        if cited is not None and _is_table(cited.text):
            rendered = f"{_row_readout(cited.text, match.group(1))} {cite_link(cited.n, cited, turn)}"
        else:
            rendered = _with_links(line.removeprefix("- "), by_n, turn)
        if line.startswith("- "):
            if paragraph:
                flush()
            items.append(f"<li>{rendered}</li>")
        elif line.strip():
            if items:
                flush()
            paragraph.append(rendered)
            if cited is not None:  # a table row stands on its own line
                flush()
        else:
            flush()
    flush()
    return "".join(blocks)


def passage_html(c: Citation) -> str:
    """The passage, escaped, with the sentences the answer rests on wrapped in <mark>."""
    if _is_table(c.text):
        readout = _row_readout(c.text, c.text.splitlines()[-1])
        return f"<mark>{readout}</mark>" if c.quotes else readout
    pieces, at = [], 0
    for q in sorted(c.quotes, key=lambda q: q.start):
        if q.start < at:
            continue
        pieces += [html.escape(c.text[at:q.start]), "<mark>", html.escape(q.text), "</mark>"]
        at = q.end
    pieces.append(html.escape(c.text[at:]))
    return "".join(pieces).replace("\n", "<br>")


def text_fragment_url(url: str, c: Citation) -> str:
    """`url` with a #:~:text= fragment that makes browsers scroll to and highlight the first quoted sentence."""
    if not c.quotes:
        return url
    words = min(c.quotes, key=lambda q: q.start).text.split()
    if not words:
        return url

    def enc(part: list[str]) -> str:
        return quote(" ".join(part), safe="").replace("-", "%2D")

    directive = enc(words) if len(words) <= 2 * FRAGMENT_WORDS else \
        f"{enc(words[:FRAGMENT_WORDS])},{enc(words[-FRAGMENT_WORDS:])}"
    return f"{url}{':~:' if '#' in url else '#:~:'}text={directive}"


def source_html(c: Citation, turn: int) -> str:
    link = ""
    url = http_url(c.url)
    if url:
        link = (f"<p class=\"source-link\"><a href=\"{html.escape(text_fragment_url(url, c), quote=True)}\" "
                f"target=\"_blank\" rel=\"noopener noreferrer\">Read it in the article ↗"
                f"<span class=\"vh\"> (opens in a new tab)</span></a></p>")
    return (f"<li class=\"source\" id=\"{_source_id(turn, c.n)}\" tabindex=\"-1\">"
            f"<p class=\"source-head\"><span class=\"source-n\">[{c.n}]</span> {_text(where(c))}</p>"
            f"<p class=\"source-text\">{passage_html(c)}</p>{link}</li>")


def sources_html(citations: list[Citation], turn: int) -> str:
    """Each cited passage under its number and section path, grouped under its article's title."""
    groups: list[tuple[str, list[Citation]]] = []
    for c in citations:
        if not groups or groups[-1][0] != c.source:
            groups.append((c.source, []))
        groups[-1][1].append(c)
    parts = [f"<p class=\"source-doc\">From “{_text(title)}”</p>"
             f"<ol class=\"source-list\">{''.join(source_html(c, turn) for c in cited)}</ol>"
             for title, cited in groups]
    n = len(citations)
    return (f"<details class=\"sources\"><summary>Sources · {n} passage{'s' if n != 1 else ''}</summary>"
            f"{''.join(parts)}</details>")


def answer_html(answer: Answer, turn: int = 0) -> str:
    """The whole reply to a question: its text with [n] links, a notice, then its sources in one collapsible block.

    `turn` numbers the conversation's turns so that each source has its own id on the page.
    """
    kind = "answer refusal" if answer.refused else "answer"
    body = body_html(answer.text, answer.citations, turn)
    if answer.notice:
        body += f"<p class=\"notice\"><em>{_text(answer.notice)}</em></p>"
    reply = f"<div class=\"{kind}\">{body}</div>"
    if answer.citations:
        reply += sources_html(answer.citations, turn)
    return reply


def partial_html(text: str) -> str:
    """An answer as it is being written: its text so far, [n] as plain numbers."""
    body = body_html(text) if text else "<p class=\"writing\">Looking in the articles…</p>"
    return f"<div class=\"answer writing\">{body}</div>"


def stopped_html(text: str) -> str:
    body = body_html(text) if text else ""
    return f"<div class=\"answer stopped\">{body}<p class=\"notice\"><em>Stopped.</em></p></div>"


def error_html(message: str) -> str:
    return f"<div class=\"answer error\"><p>⚠️ {_text(message)}</p></div>"
