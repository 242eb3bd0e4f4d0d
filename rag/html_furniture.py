"""Tell a page's furniture (navigation, tables of contents, sidebars, footers, anchors) from its content."""
from __future__ import annotations

import re

from .html_tree import HEADINGS, Node

# Generic by design: tags, ARIA roles and the class/id words that site generators (Sphinx, DocBook
# XSL, asciidoc, CMS themes) give their furniture, never the text of particular sites.
_TAGS = {"nav", "aside", "footer"}
_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "menu", "menubar", "toolbar",
          "doc-toc", "doc-pagelist", "doc-pagebreak"}
_WORDS = {"nav", "navbar", "navigation", "navheader", "navfooter", "navbox", "menu", "mainmenu", "submenu",
          "toc", "toctitle", "breadcrumb", "breadcrumbs", "sidebar", "sphinxsidebar", "related", "footer",
          "skip", "skiplink", "pagination", "pager", "search", "searchbox", "share", "sharing", "social",
          "cookie", "cookies", "banner", "masthead", "tagline", "logo", "copyright", "lot", "lof"}
# "list-of-tables", "list-of-figures": DocBook's lists after the table of contents.
_PHRASES = ("list-of-", "table-of-contents", "skip-link", "screen-reader", "sr-only", "visually-hidden")
_BLOCKISH = {"div", "section", "ul", "ol", "dl", "table", "p", "header", "span", "td", "tr", "li", "form", "a"}
_ANCHOR_TEXT = {"¶", "#", "§", "🔗", "link", "permalink", "∞"}
_FOOTNOTE_MARK = re.compile(r"\[?(\d{1,3}|[*†‡]{1,3}|[a-z])\]?")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
ADMONITIONS = {"note", "warning", "tip", "caution", "important", "admonition", "admonitionblock", "notice",
               "hint", "attention", "danger", "error", "seealso"}


def _words(value: str) -> list[list[str]]:
    return [re.split(r"[-_]", token) for token in value.lower().split()]


def _named_furniture(node: Node) -> bool:
    names = f"{node.get('class')} {node.get('id')}".lower()
    if names == " ":
        return False
    if any(phrase in names for phrase in _PHRASES):
        return True
    for parts in _words(names):
        whole = "".join(parts)
        # "mobile-nav", "fancy_toc", "menu-wrapper" but not "toc-backref" (Sphinx's link inside a heading)
        if whole in _WORDS or parts[-1] in _WORDS or (parts[0] in _WORDS and parts[-1] in {"wrapper", "container",
                                                                                            "content", "list", "sub"}):
            return True
        if whole.startswith("nav") or whole.endswith(("nav", "menu", "toc", "sidebar")) or "breadcrumb" in whole:
            return True  # "docnav", "sidenav", "topmenu", "pagetoc"
    return False


def is_furniture(node: Node, page_has_h1_outside: bool = True) -> bool:
    """True for an element that is page furniture, to be left out with everything inside it."""
    tag = node.tag
    if not node.attrs and tag not in _TAGS and tag not in {"header", "ul", "ol"}:
        return False
    if node.attrs.get("hidden") is not None or node.get("aria-hidden") == "true":
        return True
    if _HIDDEN_STYLE.search(node.get("style")):
        return True
    if tag == "aside" and (_is_admonition(node) or "footnote" in node.get("class").lower()):
        return False  # an admonition or a footnote set aside in the article
    if tag == "header":
        # A page's own header holds its menus; one inside the article holds the article's title.
        return not (node.has_ancestor({"article", "main", "section"}) or any(n.tag == "h1" for n in node.iter()))
    if tag in _TAGS or node.get("role") in _ROLES:
        return True
    if "breadcrumb" in node.get("aria-label").lower():
        return True
    if tag in _BLOCKISH and tag not in HEADINGS and _named_furniture(node):
        return True
    if tag in {"ul", "ol"} and is_page_toc(node):
        return True
    return False


def is_page_toc(node: Node) -> bool:
    """A list of three or more items that are nothing but links to places on the same page."""
    items = [c for c in node.elements() if c.tag == "li"]
    if len(items) < 3:
        return False
    for item in items:
        own = " ".join(item.text().split())
        linked = " ".join(" ".join(a.text().split()) for a in item.iter() if a.tag == "a"
                          and a.get("href").startswith("#"))
        if not own or len(linked) < 0.9 * len(own):
            return False
    return True


def is_inline_furniture(node: Node) -> bool:
    """Heading anchors ("¶"), footnote markers ("[2]") and skip links, inside running text."""
    tag = node.tag
    if tag == "a":
        href = node.get("href")
        classes = node.get("class").lower()
        text = node.text().strip()
        if "headerlink" in classes or "anchor" in classes.split():
            return True
        if href.startswith("#") and (text in _ANCHOR_TEXT or not text and not node.get("id")):
            return True
        if "footnote" in classes and _FOOTNOTE_MARK.fullmatch(text):
            return True
    if tag == "span" and re.search(r"\b(label|fn-backref)\b", node.get("class")):
        if _FOOTNOTE_MARK.fullmatch(node.text().strip()):
            return True  # a footnote's own number in front of its text
    if tag == "sup":
        text = node.text().strip()
        links = [a for a in node.iter() if a.tag == "a"]
        if _FOOTNOTE_MARK.fullmatch(text) and (links or "footnote" in node.get("class").lower()):
            return True
    if tag == "img":
        return True
    return False


def _is_admonition(node: Node) -> bool:
    return any(set(parts) & ADMONITIONS for parts in _words(node.get("class")))


def is_admonition(node: Node) -> bool:
    return _is_admonition(node)
