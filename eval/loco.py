"""Leave-one-corpus-out fitting of the answerability decision: each corpus judged by a model fitted on the others."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

C = 1.0  # logistic regularisation on standardised features
ANSWERED_FLOOR = 0.95  # the decision is shifted until at least this share of answerable questions is answered


@dataclass(frozen=True)
class Row:
    """One eval case's answerability evidence and what it should get."""
    corpus: str
    id: str
    split: str  # dev (fitted on) or test (only reported)
    kind: str
    answerable: bool
    features: tuple[float, ...]


@dataclass(frozen=True)
class Model:
    """answer when bias + weights · features ≥ 0."""
    bias: float
    weights: tuple[float, ...]

    def decision(self, X: np.ndarray) -> np.ndarray:
        return self.bias + X @ np.asarray(self.weights)

    def shifted(self, by: float) -> "Model":
        return Model(self.bias - by, self.weights)


def collect(names: list[str] | None = None, out_dir: Path = Path("eval/out/corpora-report"),
            log=print) -> list[Row]:
    """The evidence of every case of every corpus (indexes under out_dir/index/<name>, built when missing)."""
    from rag.assistant import Assistant
    from rag.followup import condense

    from .corpora import load_catalogue
    from .multi import corpus_cases, corpus_settings

    catalogue = load_catalogue()
    rows = []
    for name in names or list(catalogue):
        settings = corpus_settings(catalogue[name], out_dir)
        assistant = Assistant.load(settings, quiet=True)
        for case in corpus_cases(catalogue[name], settings):
            found = assistant.retriever.search(condense(case.question, list(case.context)))
            evidence = assistant.answerability.evidence(found.query, found.hits)
            rows.append(Row(name, case.id, case.split, case.kind, case.answerable, evidence.features()))
        log(f"{name}: {sum(r.corpus == name for r in rows)} cases")
    return rows


def _matrix(rows: list[Row], features: list[int]) -> np.ndarray:
    return np.array([[r.features[i] for i in features] for r in rows], dtype=float).reshape(len(rows), len(features))


def _all_features(rows: list[Row]) -> np.ndarray:
    return np.array([r.features for r in rows], dtype=float)


def _sample_weights(rows: list[Row]) -> np.ndarray:
    """Every corpus weighs the same, and within it answerable and unanswerable questions weigh the same."""
    counts: dict[tuple[str, bool], int] = {}
    for r in rows:
        counts[(r.corpus, r.answerable)] = counts.get((r.corpus, r.answerable), 0) + 1
    w = np.array([1.0 / counts[(r.corpus, r.answerable)] for r in rows])
    return w * len(rows) / w.sum()


def fit(rows: list[Row], features: list[int]) -> Model:
    """A logistic fitted on standardised features, returned in raw units (weights of unused features are 0)."""
    from sklearn.linear_model import LogisticRegression

    X = _matrix(rows, features)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    y = np.array([int(r.answerable) for r in rows])
    model = LogisticRegression(C=C, max_iter=2000).fit((X - mean) / scale, y, sample_weight=_sample_weights(rows))
    coef = model.coef_[0] / scale
    weights = [0.0] * len(rows[0].features)
    for i, w in zip(features, coef):
        weights[i] = float(w)
    return Model(float(model.intercept_[0] - coef @ mean), tuple(weights))


def _dev(rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.split == "dev"]


def held_out_decisions(rows: list[Row], features: list[int]) -> dict[str, tuple[list[Row], np.ndarray]]:
    """For each corpus, its rows and their decision values under a model fitted on the other corpora's dev cases."""
    out = {}
    for corpus in dict.fromkeys(r.corpus for r in rows):
        model = fit(_dev([r for r in rows if r.corpus != corpus]), features)
        mine = [r for r in rows if r.corpus == corpus]
        out[corpus] = (mine, model.decision(_all_features(mine)))
    return out


def answered_shift(held_out: dict[str, tuple[list[Row], np.ndarray]], floor: float) -> float:
    """The highest shift of the decision that still answers `floor` of every corpus's held-out answerable dev cases."""
    limits = []
    for rows, values in held_out.values():
        answerable = np.sort([v for r, v in zip(rows, values) if r.answerable and r.split == "dev"])
        keep = int(np.ceil(floor * len(answerable) - 1e-9))  # how many must stay at or above the shift
        if keep:
            limits.append(answerable[len(answerable) - keep])
    return float(min(limits)) if limits else 0.0


def calibrated(rows: list[Row], features: list[int], floor: float = ANSWERED_FLOOR) -> Model:
    """Fitted on all rows' dev cases, shifted so every corpus's leave-one-corpus-out answered rate reaches `floor`."""
    return fit(_dev(rows), features).shifted(answered_shift(held_out_decisions(rows, features), floor))


def rates(rows: list[Row], answered: np.ndarray) -> dict[str, float | None]:
    def share(selected, value):
        got = [value(a) for r, a in zip(rows, answered) if selected(r)]
        return float(np.mean(got)) if got else None
    return {"cases": len(rows),
            "answered": share(lambda r: r.answerable, bool),
            "refusal": share(lambda r: not r.answerable, lambda a: not a),
            "refusal far": share(lambda r: r.kind == "unanswerable-far", lambda a: not a),
            "refusal near": share(lambda r: r.kind == "unanswerable-near", lambda a: not a)}


def _by_split(rows: list[Row], answered: np.ndarray) -> dict:
    splits = {split: [i for i, r in enumerate(rows) if r.split == split] for split in ("dev", "test")}
    splits["all"] = list(range(len(rows)))
    return {name: rates([rows[i] for i in idx], answered[idx]) for name, idx in splits.items()}


def leave_one_corpus_out(rows: list[Row], features: list[int], floor: float = ANSWERED_FLOOR) -> dict:
    """Per corpus, rates (dev, test, all) of a model calibrated on the other corpora only (its shift included)."""
    report = {}
    for corpus in dict.fromkeys(r.corpus for r in rows):
        model = calibrated([r for r in rows if r.corpus != corpus], features, floor)
        mine = [r for r in rows if r.corpus == corpus]
        report[corpus] = _by_split(mine, model.decision(_all_features(mine)) >= 0)
    return report


def fixed_model_rates(rows: list[Row], model: Model) -> dict:
    """Per corpus, rates (dev, test, all) of one given model, e.g. the shipped coefficients."""
    report = {}
    for corpus in dict.fromkeys(r.corpus for r in rows):
        mine = [r for r in rows if r.corpus == corpus]
        report[corpus] = _by_split(mine, model.decision(_all_features(mine)) >= 0)
    return report


COLUMNS = ("answered", "refusal", "refusal far", "refusal near")


def table(report: dict) -> str:
    """One row per corpus and split (dev, test)."""
    lines = ["| corpus | split | cases | " + " | ".join(COLUMNS) + " |", "|---|---|---:|" + "---:|" * len(COLUMNS)]
    for corpus, splits in report.items():
        for split in ("dev", "test"):
            r = splits[split]
            cells = ["—" if r[c] is None else f"{100 * r[c]:.0f}%" for c in COLUMNS]
            lines.append(f"| {corpus} | {split} | {r['cases']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(report: dict) -> dict[str, float]:
    """Over corpora (dev and test together): the lowest answered and near-refusal rates and the mean near refusal."""
    answered = [s["all"]["answered"] for s in report.values()]
    near = [s["all"]["refusal near"] for s in report.values() if s["all"]["refusal near"] is not None]
    far = [s["all"]["refusal far"] for s in report.values() if s["all"]["refusal far"] is not None]
    return {"min answered": min(answered), "min near": min(near), "mean near": float(np.mean(near)),
            "min far": min(far)}
