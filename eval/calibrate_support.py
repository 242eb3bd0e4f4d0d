"""Fit the generative mode's post-check on labelled claims, with leave-one-out cross-validation.

    python -m eval.calibrate_support [--claims FILE]

`eval/support_claims.jsonl` holds claims as an LLM might write them, each citing one passage
of the article (named by a verbatim quote) and labelled supported or not: paraphrases of what
the passage says, and on-topic claims it does not make. The check keeps a claim when
cosine + w × word coverage ≥ t and it states no number or name the passage lacks. Prints the held-out accuracy (each claim judged by (w, t)
fitted without it) and the (w, t) fitted on all claims, to copy into rag/settings.py.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

DEFAULT_CLAIMS = Path(__file__).parent / "support_claims.jsonl"
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def fit(features: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(w, t) with the best balanced accuracy; ties go to the higher threshold (stricter)."""
    best = (-1.0, 0.0, 0.0)
    for w in WEIGHTS:
        scores = features[:, 0] + w * features[:, 1]
        for t in np.unique(scores):
            kept = scores >= t
            accuracy = (kept[labels].mean() + (~kept[~labels]).mean()) / 2
            if accuracy > best[0] or (accuracy == best[0] and t > best[2]):
                best = (accuracy, w, float(t))
    return best[1], best[2]


def main(argv=None) -> int:
    from rag.assistant import Assistant
    from rag.types import Hit
    from rag.support import SupportCheck

    parser = argparse.ArgumentParser(prog="python -m eval.calibrate_support")
    parser.add_argument("--claims", type=Path, default=DEFAULT_CLAIMS)
    args = parser.parse_args(argv)
    claims = [json.loads(line) for line in args.claims.read_text(encoding="utf-8").splitlines() if line.strip()]
    assistant = Assistant.load(quiet=True)
    passages = assistant.store.passages()
    check = SupportCheck(assistant.embedder, threshold=0.0)  # the same features as the live post-check
    check.prepare([Hit(p, 0.0) for p in passages])
    vectors = assistant.embedder.encode([c["claim"] for c in claims])
    rows = []
    for claim, vector in zip(claims, vectors):
        number = next((n for n, p in enumerate(passages, start=1) if claim["passage"] in p.text), None)
        if number is None:
            raise SystemExit(f"no passage contains {claim['passage']!r}")
        cosine, coverage, _ = check.features(claim["claim"], vector, number)
        if check.unstated(claim["claim"], number):  # the numbers-and-names veto decides these
            cosine = coverage = -10.0
        rows.append((cosine, coverage))
    features, labels = np.array(rows), np.array([bool(c["supported"]) for c in claims])

    held_out = []
    for i in range(len(claims)):
        mask = np.arange(len(claims)) != i
        w, t = fit(features[mask], labels[mask])
        held_out.append(features[i, 0] + w * features[i, 1] >= t)
    held_out = np.array(held_out)
    w, t = fit(features, labels)
    print(f"claims: {labels.sum()} supported, {(~labels).sum()} unsupported")
    print(f"leave-one-out: supported kept {held_out[labels].mean():.1%}, unsupported dropped {(~held_out[~labels]).mean():.1%}")
    vetoed = features[:, 0] == -10.0
    print(f"vetoed for an unstated number or name: {vetoed[~labels].sum()} unsupported, {vetoed[labels].sum()} supported")
    print(f"fitted on all: llm_support_coverage_weight = {w}, llm_support_threshold = {t:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
