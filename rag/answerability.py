"""Decide whether the articles answer a question: a logistic over dense score, keyword agreement and rare-word coverage."""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .types import Hit
from .terms import STOPWORDS
from .word_rarity import rarity

_WORD = re.compile(r"[a-z][a-z'-]*")
AGREEMENT_DEPTH = 5  # how many of the best passages the dense and keyword rankings are compared on
FEATURES = ("top", "agreement", "coverage")  # Evidence fields the decision weighs, in this order


@dataclass(frozen=True)
class Evidence:
    top: float  # best dense score among the retrieved passages
    agreement: float  # share of the dense ranking's best passages that the keyword (BM25) ranking also puts first
    coverage: float  # share of the question's content words the corpus knows, each weighted by its rarity in English
    unknown: tuple[str, ...]  # the content words the corpus has never seen

    def features(self) -> tuple[float, ...]:
        return tuple(getattr(self, name) for name in FEATURES)


class Answerability:
    """A logistic decision over the Evidence FEATURES, fitted by eval/calibrate.py across several corpora.

    One cosine cannot tell a near-topic question the articles don't answer from a real one:
    on a corpus about one subject every question on that subject scores alike. Two kinds of
    evidence sit beside it. When the keyword ranking and the dense ranking pick the same
    passages, the question's own words are in what answers it. And a rare word the corpus has
    never seen (a researcher's name, a term of art) gives a question away, while an everyday
    word it never uses ("husband" in an article that says "partner") says little: coverage
    weighs each word by how rare it is in English, so it transfers to any corpus unchanged.
    """

    def __init__(self, corpus_words: Iterable[str], keyword_search: Callable[[str, int], list], bias: float,
                 weights: tuple[float, ...]) -> None:
        import Stemmer

        if len(weights) != len(FEATURES):
            raise ValueError(f"answerability needs {len(FEATURES)} weights ({', '.join(FEATURES)}), got {len(weights)}")
        self._stem = Stemmer.Stemmer("english").stemWord
        self.stems = {self._stem(w.replace("'s", "")) for w in corpus_words}
        self.keyword_search = keyword_search
        self.bias, self.weights = bias, tuple(weights)

    @classmethod
    def from_settings(cls, corpus_words: Iterable[str], keyword_search, settings) -> "Answerability":
        """The decision with the settings' answer_bias and answer_<feature>_weight values."""
        return cls(corpus_words, keyword_search, settings.answer_bias,
                   tuple(getattr(settings, f"answer_{name}_weight") for name in FEATURES))

    def _known(self, word: str) -> bool:
        return self._stem(word) in self.stems or all(self._stem(p) in self.stems for p in word.split("-") if p)

    def _coverage(self, content: list[str], unknown: tuple[str, ...]) -> float:
        weights = {w: rarity(w) for w in content}
        total = sum(weights.values())
        return 1.0 - sum(weights[w] for w in unknown) / total if total else 1.0

    def _agreement(self, query: str, hits: list[Hit]) -> float:
        dense = [h.passage.id for h in sorted(hits, key=lambda h: -h.score)[:AGREEMENT_DEPTH]]
        if not dense:
            return 0.0
        keyword = {passage.id for passage, _ in self.keyword_search(query, AGREEMENT_DEPTH)}
        return sum(pid in keyword for pid in dense) / len(dense)

    def evidence(self, query: str, hits: list[Hit]) -> Evidence:
        words = [w.replace("'s", "").strip("'-") for w in _WORD.findall(query.lower().replace("’", "'"))]
        content = [w for w in words if len(w) > 2 and w not in STOPWORDS]
        unknown = tuple(w for w in content if not self._known(w))
        top = max((h.score for h in hits), default=0.0)
        return Evidence(top, self._agreement(query, hits), self._coverage(content, unknown), unknown)

    def decision_value(self, evidence: Evidence) -> float:
        """The logistic's log-odds: answer when it is ≥ 0."""
        return self.bias + sum(w * x for w, x in zip(self.weights, evidence.features()))

    def probability(self, evidence: Evidence) -> float:
        return 1.0 / (1.0 + math.exp(-self.decision_value(evidence)))

    def answerable(self, evidence: Evidence) -> bool:
        return self.decision_value(evidence) >= 0.0
