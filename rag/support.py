"""Check a drafted answer against the passages it cites: keep only sentences a cited passage supports."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .sentences import sentence_spans
from .terms import content_terms
from .types import Hit, Quote

_MARKERS = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
# "Claim. [1]" → "Claim [1]." so that the marker stays with the sentence it closes.
_MARKER_AFTER_STOP = re.compile(r"([.!?…])((?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# Numbers and names are where models invent most; a claim may state one only if its passage does.
_NUMBER_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty
forty fifty hundred thousand million billion percent once twice half quarter""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,]\d+)?%?")


def specifics(text: str) -> set[str]:
    """The numbers and names (capitalised words past the first) of a text, lower-cased."""
    words = _WORD.findall(text)
    found = {w.lower() for w in words if w[0].isdigit() or w.lower() in _NUMBER_WORDS}
    found |= {w.lower() for w in words[1:] if w[0].isupper() and w != "I"}
    return found


@dataclass
class Claim:
    """One sentence of a draft: its words without markers, the passage numbers it named, and the verdict."""
    text: str
    named: list[int]
    bullet: bool = False
    kept: list[int] = field(default_factory=list)  # named passages that support it (1-based, as in the prompt)
    quotes: dict[int, Quote] = field(default_factory=dict)  # passage number -> its sentence closest to the claim
    reason: str = ""  # why it was dropped; empty when kept


def split_claims(draft: str) -> list[Claim]:
    """The draft's sentences (list lines count as sentences), each with the passage numbers it names."""
    claims = []
    for line in draft.splitlines():
        bullet = bool(_BULLET.match(line))
        line = _MARKER_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), _BULLET.sub("", line))
        for s, e in sentence_spans(line):
            sentence = line[s:e]
            named = [int(n) for group in _MARKERS.findall(sentence) for n in re.split(r"\s*[,;]\s*", group)]
            text = " ".join(_MARKERS.sub(" ", sentence).split())
            text = re.sub(r"\s+([.!?,;:…])", r"\1", text)
            text = re.sub(r"([.!?…])[.!?…]+$", r"\1", text)  # "timeline. [1]." leaves "timeline.."
            if text.strip(" .!?…"):
                claims.append(Claim(text, list(dict.fromkeys(named)), bullet))
    return claims


class SupportCheck:
    """A claim is supported by a passage when its best cosine to the passage or one of its sentences,
    plus `coverage_weight` × the share of the claim's content words the passage contains, reaches
    `threshold`. `python -m eval.calibrate_support` fits both on labelled claims."""

    def __init__(self, embedder, threshold: float, coverage_weight: float = 0.0) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.coverage_weight = coverage_weight
        self._passages: dict[int, tuple[str, list[tuple[int, int]], np.ndarray]] = {}
        self._terms: dict[int, set[str]] = {}
        self._words: dict[int, set[str]] = {}

    def prepare(self, hits: list[Hit]) -> None:
        """Embed the sentences of the numbered passages once, before claims arrive."""
        texts, owners = [], []
        for number, hit in enumerate(hits, start=1):
            spans = sentence_spans(hit.passage.text)
            texts += [hit.passage.text] + [hit.passage.text[s:e] for s, e in spans]
            owners.append((number, hit.passage.text, spans))
        vectors = self.embedder.encode(texts) if texts else np.zeros((0, 384), dtype=np.float32)
        offset = 0
        self._passages = {}
        for number, text, spans in owners:
            self._passages[number] = (text, spans, vectors[offset: offset + 1 + len(spans)])
            self._terms[number] = set(content_terms(text))
            self._words[number] = {w.lower() for w in _WORD.findall(text)}
            offset += 1 + len(spans)

    def features(self, claim: str, vector: np.ndarray, number: int) -> tuple[float, float, Quote | None]:
        """(best cosine, word coverage) of passage `number` for a claim, and its sentence closest to the claim."""
        text, spans, passage_vectors = self._passages[number]
        cosines = passage_vectors @ vector
        terms = set(content_terms(claim))
        coverage = len(terms & self._terms[number]) / len(terms) if terms else 0.0
        quote = None
        if spans:
            s, e = spans[int(np.argmax(cosines[1:]))]
            quote = Quote(s, e, text[s:e])
        return float(cosines.max()), coverage, quote

    def unstated(self, claim: str, number: int) -> set[str]:
        """Numbers and names in the claim that passage `number` never mentions."""
        return specifics(claim) - self._words[number]

    def support(self, claim: str, vector: np.ndarray, number: int) -> tuple[float, Quote | None]:
        """How well passage `number` supports the claim (compared with `threshold`), and the quote it rests on;
        -inf when the claim states a number or name the passage does not."""
        cosine, coverage, quote = self.features(claim, vector, number)
        if self.unstated(claim, number):
            return float("-inf"), quote
        return cosine + self.coverage_weight * coverage, quote

    def check(self, claims: list[Claim]) -> list[Claim]:
        """Fill each claim's kept markers and quotes (or its reason for being dropped); returns the claims."""
        vectors = self.embedder.encode([c.text for c in claims]) if claims else []
        for claim, vector in zip(claims, vectors):
            valid = [n for n in claim.named if n in self._passages]
            if not claim.named:
                claim.reason = "names no passage"
                continue
            if not valid:
                claim.reason = f"names a passage that does not exist: {claim.named}"
                continue
            for n in valid:
                score, quote = self.support(claim.text, vector, n)
                if score >= self.threshold:
                    claim.kept.append(n)
                    if quote is not None:
                        claim.quotes[n] = quote
            if not claim.kept:
                claim.reason = f"not supported by passage {valid}"
        return claims
