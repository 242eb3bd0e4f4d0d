"""Fit the answerability decision on the eval set with leave-one-out cross-validation.

    python -m eval.calibrate [--set FILE]

Prints the cross-validated answered/refusal rates (each question judged by a model fitted
without it) and the coefficients fitted on the whole set, to copy into rag/settings.py.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .evalset import DEFAULT_SET, load_eval_set

C = 10.0  # weak regularisation: two features, and both matter


def features(assistant, cases) -> np.ndarray:
    from rag.followup import condense

    rows = []
    for case in cases:
        found = assistant.retriever.search(condense(case.question, list(case.context)))
        ev = assistant.answerability.evidence(found.query, found.hits)
        rows.append([ev.top, ev.coverage])
    return np.array(rows)


def fit(X, y):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=1000).fit(X, y)


def main(argv=None) -> int:
    from rag.assistant import Assistant

    parser = argparse.ArgumentParser(prog="python -m eval.calibrate")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    args = parser.parse_args(argv)
    assistant = Assistant.load(quiet=True)
    cases = load_eval_set(args.set)
    X = features(assistant, cases)
    y = np.array([int(c.answerable) for c in cases])
    kinds = np.array([c.kind for c in cases])
    held_out = np.zeros(len(y), dtype=bool)
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        held_out[i] = fit(X[keep], y[keep]).predict(X[i:i + 1])[0] == 1
    print("leave-one-out: answered %.1f%%, refusal %.1f%% (far %.1f%%, near %.1f%%)" % (
        100 * held_out[y == 1].mean(), 100 * (~held_out[y == 0]).mean(),
        100 * (~held_out[kinds == "unanswerable-far"]).mean(), 100 * (~held_out[kinds == "unanswerable-near"]).mean()))
    model = fit(X, y)
    bias, (top, coverage) = float(model.intercept_[0]), model.coef_[0]
    print(f"answer_bias = {bias:.3f}\nanswer_top_weight = {top:.3f}\nanswer_coverage_weight = {coverage:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
