"""Fit the answerability decision across the corpora of eval/corpora.toml, judged leave-one-corpus-out.

    python -m eval.calibrate [--write] [--floor 0.95] [--features top,agreement,coverage] [--curve] [--ablation]

Fits only on the dev cases. Each corpus is judged (dev and test) by a model fitted on the other
corpora, whose decision is shifted until every one of those corpora, itself judged by a model
fitted without it, has at least --floor of its answerable dev questions answered. Then prints the
coefficients fitted the same way on every corpus; --write puts them in rag/settings.py's defaults (and the README's table).
A feature left out gets weight 0.
"""
from __future__ import annotations

import argparse
import itertools
import re
import sys
from pathlib import Path

from rag.answerability import FEATURES

from . import loco

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "rag" / "settings.py"
README = SETTINGS_FILE.parent.parent / "README.md"
CURVE_FLOORS = (0.80, 0.85, 0.90, 0.95, 0.98)
KEPT = ("top", "agreement")  # the features that earned their place (README: Answerability)


def shipped_model(settings) -> loco.Model:
    return loco.Model(settings.answer_bias, tuple(getattr(settings, f"answer_{n}_weight") for n in FEATURES))


def summary_line(label: str, report: dict) -> str:
    s = loco.summary(report)
    return (f"| {label} | {100 * s['min answered']:.0f}% | {100 * s['mean near']:.0f}% | {100 * s['min near']:.0f}% "
            f"| {100 * s['min far']:.0f}% |")


SUMMARY_HEAD = "| {} | min answered | mean near refusal | min near refusal | min far refusal |\n|---|---:|---:|---:|---:|"


def _values(model: loco.Model) -> dict[str, float]:
    return {"answer_bias": model.bias, **{f"answer_{n}_weight": w for n, w in zip(FEATURES, model.weights)}}


def write_settings(model: loco.Model, fitted_on: str, path: Path = SETTINGS_FILE) -> None:
    """Replace the answerability defaults (and the line saying what they were fitted on) in rag/settings.py."""
    text = path.read_text(encoding="utf-8")
    for name, value in _values(model).items():
        text, count = re.subn(rf"^(    {name}: float = )[-0-9.e]+", rf"\g<1>{value:.3f}", text, flags=re.M)
        if count != 1:
            raise SystemExit(f"rag: cannot find the field {name} in {path}")
    text, count = re.subn(r"^    # Fitted on: .*$", f"    # Fitted on: {fitted_on}", text, flags=re.M)
    if count != 1:
        raise SystemExit(f"rag: cannot find the '# Fitted on:' line in {path}")
    path.write_text(text, encoding="utf-8")


def write_readme(model: loco.Model, path: Path = README) -> None:
    """The defaults column of the README's Configuration rows for the same fields."""
    text = path.read_text(encoding="utf-8")
    for name, value in _values(model).items():
        text = re.sub(rf"^(\| `RAG_{name.upper()}` \| `)[-0-9.e]+", rf"\g<1>{value:.3f}", text, flags=re.M)
    path.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m eval.calibrate")
    parser.add_argument("--corpora", default="", help="comma-separated corpus names (default: all of eval/corpora.toml)")
    parser.add_argument("--features", default=",".join(KEPT), help=f"the features to weigh, of {', '.join(FEATURES)} "
                        f"(default {','.join(KEPT)}: coverage measured no gain, see --ablation)")
    parser.add_argument("--floor", type=float, default=loco.ANSWERED_FLOOR,
                        help="share of answerable questions every corpus must keep answered (default 0.95)")
    parser.add_argument("--curve", action="store_true", help="also print the answered/near-refusal trade-off")
    parser.add_argument("--ablation", action="store_true", help="also score every subset of the features")
    parser.add_argument("--write", action="store_true", help="write the final coefficients into rag/settings.py")
    parser.add_argument("--out", type=Path, default=Path("eval/out/corpora-report"), help="where indexes are kept")
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in args.features.split(",") if n.strip()]
    if not chosen or any(n not in FEATURES for n in chosen):
        parser.error(f"--features takes names among {', '.join(FEATURES)}")
    features = [FEATURES.index(n) for n in chosen]

    rows = loco.collect([n for n in args.corpora.split(",") if n] or None, args.out,
                        log=lambda m: print(m, file=sys.stderr))
    corpora = list(dict.fromkeys(r.corpus for r in rows))
    if len(corpora) < 2:
        parser.error("leave-one-corpus-out needs at least two corpora")

    print("## Shipped coefficients (rag/settings.py as it is now)\n")
    print(loco.table(loco.fixed_model_rates(rows, shipped_model(Settings()))))
    report = loco.leave_one_corpus_out(rows, features, args.floor)
    print(f"\n## Leave-one-corpus-out: features {', '.join(chosen)}; answered floor {args.floor:.0%}\n")
    print(loco.table(report))
    print("\n" + SUMMARY_HEAD.format("features") + "\n" + summary_line(", ".join(chosen), report))
    if args.curve:
        print("\n## Trade-off (leave-one-corpus-out, dev and test together)\n")
        print(SUMMARY_HEAD.format("answered floor"))
        for floor in CURVE_FLOORS:
            print(summary_line(f"{floor:.0%}", loco.leave_one_corpus_out(rows, features, floor)))
    if args.ablation:
        print(f"\n## Feature subsets (leave-one-corpus-out, answered floor {args.floor:.0%})\n")
        print(SUMMARY_HEAD.format("features"))
        for k in range(1, len(FEATURES) + 1):
            for subset in itertools.combinations(range(len(FEATURES)), k):
                label = ", ".join(FEATURES[i] for i in subset)
                print(summary_line(label, loco.leave_one_corpus_out(rows, list(subset), args.floor)))

    model = loco.calibrated(rows, features, args.floor)
    fitted_on = f"dev cases of {', '.join(corpora)}; features {', '.join(chosen)}; answered floor {args.floor:.0%}"
    print(f"\n## Final coefficients (fitted on the {fitted_on})\n")
    print(f"answer_bias = {model.bias:.3f}")
    for name, weight in zip(FEATURES, model.weights):
        print(f"answer_{name}_weight = {weight:.3f}")
    if args.write:
        write_settings(model, fitted_on)
        write_readme(model)
        print(f"\nwritten to {SETTINGS_FILE} and {README.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
