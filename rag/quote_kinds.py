"""What a quotable span of a passage is: a sentence about the document, a heading or question, a scrap, a lead-in, code…"""
from __future__ import annotations

import re

from .sentences import sentence_spans
from .terms import content_terms

_DOC_NOUN = (r"(?:article|page|web ?page|guide|post|blog|section|chapter|document|documentation|faq|tutorial|essay|"
             r"piece|book|manual|handbook|paper|series|site|website|primer|overview|introduction|exploration|"
             r"howto|how-to|text|write-?up)s?")
# "This article explores…", "In this section we look at…": the document speaking of itself.
_THIS_DOCUMENT = re.compile(rf"\b(?:this|the present|the current|these|the following|this very) {_DOC_NOUN}\b",
                            re.IGNORECASE)
_META_VERB = re.compile(
    r"\b(?:explor|cover|describ|discuss|explain|examin|look(?:s|ed)? at|introduc|outlin|summari[sz]|present|provid|"
    r"walk|focus|aim|tries|try|attempt|show|list|contain|answer|address|deal|review|teach|gather|collect|will|"
    r"is about|are about|is meant|is intended|intend|assum|begin|conclud|continu|we|you['’]ll|we['’]ll)\w*",
    re.IGNORECASE)
_OUR_DOCUMENT = re.compile(rf"\bour {_DOC_NOUN}\b", re.IGNORECASE)  # "don't miss our guide on …": a link, not content
_POINTER = re.compile(r"^(?:see|refer to|cf\.?)\b.*\b(?:section|chapter|table|figure|above|below)\b", re.IGNORECASE)

_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_END = re.compile(r"[.!?…:;][\"'”’)\]]*$")
_LEAD_IN_END = re.compile(
    r"(?::|\b(?:the following|as follows|like this|like so|below)\s*[.:]?|\b(?:for example|for instance|e\.g\.?)\s*:)"
    r"[\"'”’)\]]*$", re.IGNORECASE)
_LEAD_IN_ANYWHERE = re.compile(r"\b(?:the following|as follows)\b(?!\s+(?:year|day|week|month|morning|night)s?\b)",
                               re.IGNORECASE)  # "… from each of the following sets …", "the following mounts it"
# A sentence that finishes, qualifies or negates the one before it, or leans on it for its subject.
_COMPLETES = re.compile(
    r"^[\"'“‘(]*(?:but|however|yet|still|though|although|nevertheless|nonetheless|otherwise|instead|unless|"
    r"except|this|that|these|those|it|its|it['’]s|they|them|their|such|so|thus|hence|therefore|then|"
    r"also|too|even so|in that case|in this case|in other words|that is)\b", re.IGNORECASE)
_YES_NO = re.compile(r"^[\"'“‘(]*(?:yes|no)(?:[.,;:!—–]|\s+[-—–]|$)", re.IGNORECASE)
_LABEL = re.compile(r"^([^\s:][^:\n]{0,70}?):\s+\S")  # "Listen actively: Give …" — an item's own subject
MIN_WORDS = 3
HEADING_WORDS = 12


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_code(text: str) -> bool:
    return _FENCE.match(text) is not None


def about_document(text: str) -> bool:
    """A sentence about the document itself ("This article explores…"), a plug for another one ("our guide"), or a
    pointer elsewhere in it ("See Section 3.4…"): none of them answers anything."""
    if is_code(text):
        return False
    if _OUR_DOCUMENT.search(text) or _POINTER.search(text.strip()):
        return True
    found = _THIS_DOCUMENT.search(text)
    return found is not None and _META_VERB.search(text) is not None


def is_plug(text: str) -> bool:
    """A plug for another document ("don't miss our guide on …"): the sentences after it in its paragraph go on
    selling it."""
    return _OUR_DOCUMENT.search(text) is not None


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def is_question_or_heading(text: str, headings: tuple[str, ...] = (), kind: str = "paragraph") -> bool:
    """A question (quoted back, it answers nothing), a heading or title said again, or a heading-like line: short,
    one line, no sentence end (a table-of-contents entry)."""
    body = text.strip()
    if is_code(body) or kind in {"row", "code"}:
        return False
    if re.search(r"\?[\"'”’)\]]*$", body):
        return True
    plain = _plain(body)
    if plain and any(plain == _plain(h) for h in headings if h):
        return True
    return (kind != "item" and "\n" not in body and not _END.search(body)
            and len(words(body)) <= HEADING_WORDS and not re.search(r"[,;]", body))


def is_scrap(text: str) -> bool:
    """Under three words ("A better way", "[2]", "No."): too little to be an answer on its own."""
    return not is_code(text) and len(words(text)) < MIN_WORDS


def is_lead_in(text: str) -> bool:
    """A sentence that introduces what follows it: "Common obstacles include:", "… by the following."."""
    body = text.strip()
    if is_code(body):
        return False
    spans = sentence_spans(body)
    last = body[spans[-1][0]:spans[-1][1]] if spans else body  # a whole item: its last line is what leads on
    return _LEAD_IN_END.search(last) is not None or _LEAD_IN_ANYWHERE.search(last) is not None


def completes_previous(text: str) -> bool:
    """Starts with a word that finishes, negates or refers back to the sentence before ("But…", "No.", "This…")."""
    return _COMPLETES.match(text.strip()) is not None


def is_label(text: str, headings: tuple[str, ...] = ()) -> bool:
    """A line that names rather than says ("Note", "Caution", a heading): nothing before or after can lean on it."""
    return not is_code(text) and not is_yes_or_no(text) and (
        is_scrap(text) or is_question_or_heading(text, headings))


def is_yes_or_no(text: str) -> bool:
    """Opens with the article's yes or no ("No.", "Yes, but …")."""
    return _YES_NO.match(text.strip()) is not None


def same_question(question: str, heading: str) -> bool:
    """The heading is a question and the reader's question has at least half its content words (or words of their
    families): the passage under it answers what the reader asked, so its yes or no is the answer's."""
    if not heading.rstrip().endswith("?"):
        return False
    wanted, have = set(content_terms(heading)), set(content_terms(question))
    if not wanted:
        return False
    found = {w for w in wanted if any(w == h or (len(w) >= 5 and len(h) >= 5 and w[:5] == h[:5]) for h in have)}
    return 2 * len(found) >= len(wanted)


def label_of(item_text: str) -> str:
    """An item's own label ("Listen actively" of "Listen actively: Give full attention…"), or ""."""
    match = _LABEL.match(item_text.strip())
    if not match or len(words(match.group(1))) > 8:
        return ""
    return match.group(1)


def names_its_subject(item_text: str) -> bool:
    """A list item that says what it is about: a label ("Listen actively: …"), or it opens with the lead-in of the
    short items joined to it ("Do these in order:\n- …")."""
    spans = sentence_spans(item_text)
    first = item_text[spans[0][0]:spans[0][1]] if spans else item_text
    return bool(label_of(item_text)) or is_lead_in(first)


DUPLICATE_OVERLAP = 0.6  # two sentences sharing this share of their content words say the same thing


def same_advice(a: str, b: str) -> bool:
    """The same text, or the same content words for the most part: saying it twice adds nothing."""
    if _plain(a) == _plain(b):
        return True
    ta, tb = set(content_terms(a)), set(content_terms(b))
    if not ta or not tb:
        return False
    return len(ta & tb) / min(len(ta), len(tb)) >= DUPLICATE_OVERLAP
