"""Parse HTML into a small element tree the way a browser nests it, bounded for hostile pages."""
from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

# Hand-written on the standard library's HTMLParser: we need only the nesting of elements and
# their class/id/role, and the rules below for what authors leave unclosed.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
# Elements whose content is never text of the page (form controls included; a <form> itself is
# kept: ASP.NET pages wrap the whole body in one).
SKIP = {"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas",
        "button", "select", "option", "datalist", "textarea", "title"}
BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "pre", "header", "footer", "dd", "dt",
          "figcaption", "figure", "address", "aside", "nav", "details", "summary", "fieldset", "center", "hgroup"}
HEADINGS = {f"h{n}" for n in range(1, 7)}
# An element that a new one of the same kind closes, and the elements it cannot be closed across.
_SELF_CLOSING = {"li": {"ul", "ol", "menu"}, "dt": {"dl"}, "dd": {"dl"}, "tr": {"table"},
                 "td": {"tr", "table"}, "th": {"tr", "table"}, "option": {"select", "datalist"},
                 "p": BLOCKS - {"p"}}
_IMPLIED = {"dd": "dt", "dt": "dd", "td": "th", "th": "td"}  # also closed by their sibling kind
_CLOSES_NAV = {"main", "article"}  # the page's content is never navigation: an unclosed <nav> ends here
_CLOSES_P = BLOCKS | HEADINGS | {"ul", "ol", "dl", "table", "form", "hr", "li"}
MAX_DEPTH = 200  # deeper start tags are ignored (browsers cap nesting too); keeps hostile pages linear
_KEPT_ATTRS = {"class", "id", "role", "href", "hidden", "aria-hidden", "aria-label", "summary", "content",
               "name", "start", "value", "colspan", "rowspan", "type", "style"}


class Node:
    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag: str, attrs: dict, parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Node | str] = []
        self.parent = parent

    def get(self, name: str) -> str:
        return self.attrs.get(name) or ""

    def elements(self):
        return (c for c in self.children if isinstance(c, Node))

    def text(self) -> str:
        """All text inside, as written (whitespace kept)."""
        out: list[str] = []
        stack: list[Node | str] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
            elif item.tag not in SKIP:
                if item.tag == "br":
                    out.append("\n")
                stack.extend(reversed(item.children))
        return "".join(out)

    def iter(self):
        """This element and every element inside it, in document order."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed([c for c in node.children if isinstance(c, Node)]))

    def has_ancestor(self, tags: set[str]) -> bool:
        node = self.parent
        while node is not None:
            if node.tag in tags:
                return True
            node = node.parent
        return False


class _TreeBuilder(HTMLParser):
    """Open elements are kept on a stack, so an element ends at its end tag, when an element around it
    closes, or at the end of the document, whichever comes first: a page that forgets `</nav>` or
    `</svg>` loses at most the rest of the enclosing element, as a browser would nest it.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.open: list[Node] = [self.root]
        self.open_counts: Counter[str] = Counter()
        self.head_meta: dict[str, str] = {}
        self.title: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs if k in _KEPT_ATTRS}
        if tag == "meta":
            if attrs.get("name") in {"author", "description"} and attrs.get("content"):
                self.head_meta.setdefault(attrs["name"], attrs["content"])
            return
        if tag in VOID:
            self.open[-1].children.append(Node(tag, attrs, self.open[-1]))
            return
        if tag in _CLOSES_NAV and self.open_counts["nav"]:
            self._close("nav")
        self._close_implied(tag)
        if len(self.open) > MAX_DEPTH:
            return
        node = Node(tag, attrs, self.open[-1])
        self.open[-1].children.append(node)
        self.open.append(node)
        self.open_counts[tag] += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.open[-1].tag == tag:
            self._pop()

    def handle_endtag(self, tag):
        if self.open_counts[tag]:  # a stray end tag closes nothing
            self._close(tag)

    def handle_data(self, data):
        current = self.open[-1]
        if current.tag == "title" and not current.has_ancestor({"svg", "math"}):
            self.title.append(data)
        current.children.append(data)

    def _close(self, tag):
        """Close the innermost open `tag` and every element opened inside it."""
        while len(self.open) > 1 and self._pop() != tag:
            pass

    def _close_implied(self, tag):
        """A new <li>, <p>, <tr>, <td>… closes an open one of its kind (HTML lets authors omit those end tags)."""
        if tag in _CLOSES_P and self.open[-1].tag == "p":
            self._pop()
        boundaries = _SELF_CLOSING.get(tag)
        kinds = {tag, _IMPLIED.get(tag, tag)}
        if not boundaries or not any(self.open_counts[kind] for kind in kinds):
            return
        for node in reversed(self.open):
            if node.tag in kinds:
                self._close(node.tag)
                return
            if node.tag in boundaries:
                return

    def _pop(self) -> str:
        node = self.open.pop()
        self.open_counts[node.tag] -= 1
        return node.tag


def parse_html(source: str) -> tuple[Node, dict[str, str], str]:
    """(root element, {author, description} from <meta>, the <title> text) of a page."""
    builder = _TreeBuilder()
    builder.feed(source)
    builder.close()
    return builder.root, builder.head_meta, "".join(builder.title)
