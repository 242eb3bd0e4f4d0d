"""Content words of a text, lower-cased and lightly stemmed, for lexical overlap scores."""
from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she should
so some such than that the their theirs them themselves then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves s t don doesn isn aren it’s it's i'm i’m i've you're there's what's
get got getting one ones thing things way ways really also much many lot lots may might must shall
tell know let like want need make makes made help
""".split())


def stem(word: str) -> str:
    for suffix in ("ingly", "edly", "ness", "ment", "ings", "ing", "ies", "ied", "ers", "er", "ly", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            return word + ("y" if suffix in {"ies", "ied"} else "")
    return word


@lru_cache(maxsize=65536)  # passage sentences are scored again for every question that retrieves them
def content_terms(text: str) -> tuple[str, ...]:
    words = _WORD.findall(text.lower().replace("’", "'"))
    return tuple(stem(w.split("'")[0]) for w in words
                 if w not in STOPWORDS and w.split("'")[0] not in STOPWORDS and len(w) > 1)
