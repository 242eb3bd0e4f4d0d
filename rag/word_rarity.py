"""How rare a word is in general English, as a weight from 0 (an everyday word) to 1 (a name or term of art)."""
from __future__ import annotations

from functools import lru_cache

# On wordfreq's Zipf scale (log10 of uses per billion words): "husband" 5.0, "partner" 4.8,
# "lonely" 4.3, "WAL" 3.5, "Gottman" 1.8, "dataclass" absent. Between the two bounds the
# weight falls linearly. wordfreq's small English list (29k words, 30 ms to load) holds every
# word at or above RARE_ZIPF, so nothing is lost by not loading the large one (0.6 s).
COMMON_ZIPF = 5.0  # at or above: weight 0
RARE_ZIPF = 3.0  # at or below (or unknown to wordfreq): weight 1


@lru_cache(maxsize=65536)
def rarity(word: str) -> float:
    """0 for an everyday English word, 1 for a rare one, a name or a term of art."""
    from wordfreq import zipf_frequency

    zipf = zipf_frequency(word, "en", wordlist="small")
    return min(1.0, max(0.0, (COMMON_ZIPF - zipf) / (COMMON_ZIPF - RARE_ZIPF)))
