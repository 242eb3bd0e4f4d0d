"""Write report.md, results.json and the PNG plots of an eval run."""
from __future__ import annotations

import json
from pathlib import Path

from .ablation import ablation_table
from .scoring import METRICS

PERCENT = {m for m in METRICS if not m.endswith("ms")}


def fmt(metric: str, value) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}%" if metric in PERCENT else f"{value:.1f}"


def ratio(system, baseline) -> str:
    if system is None or baseline is None or baseline == 0:
        return "–"
    return f"{system / baseline:.2f}×"


def metrics_table(results: dict) -> str:
    system = results["system"]["summary"]
    base = results.get("baseline", {}).get("summary") if results.get("baseline") else None
    head = "| metric | system |" + (" baseline | system / baseline |" if base else "")
    rule = "|---|---:|" + ("---:|---:|" if base else "")
    rows = [head, rule]
    for m in METRICS:
        row = f"| {m} | {fmt(m, system[m])} |"
        if base:
            row += f" {fmt(m, base[m])} | {ratio(system[m], base[m])} |"
        rows.append(row)
    return "\n".join(rows)


def kinds_table(by_kind: dict[str, dict]) -> str:
    cols = ("cases", "hit@1", "hit@3", "MRR", "all@5", "answered", "refusal", "grounded", "faithfulness", "p50 ms")
    rows = ["| kind | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for kind, s in by_kind.items():
        rows.append(f"| {kind} | " + " | ".join(str(s[c]) if c == "cases" else fmt(c, s[c]) for c in cols) + " |")
    return "\n".join(rows)


def defects_table(summaries: dict[str, dict]) -> str:
    """Answer defects (rag.answer_checks) by kind, one column per corpus (or run) in `summaries`."""
    names = list(summaries)
    kinds = list(next(iter(summaries.values()))["defects by kind"]) if summaries else []
    rows = ["| defect | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for kind in kinds:
        rows.append(f"| {kind} | " + " | ".join(str(summaries[n]["defects by kind"].get(kind, 0)) for n in names) + " |")
    rows.append("| **all** | " + " | ".join(f"**{summaries[n]['defects']}**" for n in names) + " |")
    return "\n".join(rows)


def defects_section(records: list[dict]) -> str:
    """Every answer with a defect, its defects and its text."""
    out = []
    for r in (r for r in records if r.get("defects")):
        kinds = ", ".join(sorted({d["kind"] for d in r["defects"]}))
        out.append(f"### {r['id']} ({r['kind']}): {kinds}\n")
        out.append(f"**Question:** {_clip(r['question'], 300)}\n")
        out.append("**Defects:**\n" + "\n".join(f"- {d['kind']}: {_clip(d['text'])}" for d in r["defects"]) + "\n")
        out.append(f"**Answer:** {_clip(r['answer'], 600)}\n")
    return "\n".join(out) if out else "No answer has a defect.\n"


DEFECTS_NOTE = ("Defects are what a reader trips over, found in every answer by `rag/answer_checks.py`: a sentence about "
                "the document itself, a heading or question quoted as an answer, a scrap under three words, a dangling "
                "lead-in, a list item without its subject, the sentence that finishes or negates a quote left out, a "
                "passage's command lines left out of a \"how\" answer, the same words twice, one passage under two "
                "numbers, several items of a list without a count, the article's yes or no not first, a part of the "
                "question neither answered nor declined.")


def misses(records: list[dict]) -> list[dict]:
    """Answerable cases not answered or without evidence in the top 3; unanswerable ones answered."""
    return [r for r in records if (r["answerable"] and (r["refused"] or not r["hit3"]))
            or (not r["answerable"] and not r["refused"])]


def _clip(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def misses_section(records: list[dict]) -> str:
    out = []
    for r in misses(records):
        why = ("answered an unanswerable question" if not r["answerable"]
               else "refused" if r["refused"] else "no evidence in the top 3")
        out.append(f"### {r['id']} ({r['kind']}): {why}\n")
        out.append(f"**Question:** {_clip(r['question'], 300)}\n")
        if r["evidence"]:
            out.append("**Expected evidence:**\n" + "\n".join(f"- {_clip(q)}" for q in r["evidence"]) + "\n")
        out.append("**Retrieved:**\n" + "\n".join(
            f"{i}. ({h['score']:.3f}) {_clip(h['section'], 60)} — {_clip(h['text'])}"
            for i, h in enumerate(r["retrieved"][:3], start=1)) + "\n")
        out.append(f"**Answer:** {_clip(r['answer'], 300)}\n")
    return "\n".join(out) if out else "No misses.\n"


def write_report(results: dict, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"results": out_dir / "results.json", "report": out_dir / "report.md"}
    paths["results"].write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    paths.update(plot_all(results, out_dir))
    records = results["system"]["cases"]
    lines = [
        "# Eval report", "",
        f"Eval set `{results['set']}`: {len(records)} cases.",
        "", "## Metrics", "", metrics_table(results), "",
        "Retrieval metrics (hit@k, MRR, recall@5, all@5) and *answered* are over answerable cases; "
        "*refusal* over unanswerable ones; grounded and citation precision over answered answerable cases; "
        "faithfulness is the share of answer sentences found verbatim in the passage their marker cites; citation "
        "precision counts the citations a quote rests on (a list's further items, only pointed at, are not claims).",
        *(["", "## Ablation", "", ablation_table(results["ablation"], (results.get("baseline") or {}).get("summary")),
            "", "Each row adds one step to the row above, on the same index and eval set, in the same run."]
          if results.get("ablation") else []),
        "", "## By kind", "", kinds_table(results["system"]["by_kind"]), "",
        f"## Answer defects ({results['system']['summary']['defects']})", "",
        defects_table({"system": results["system"]["summary"]}), "", DEFECTS_NOTE, "",
        defects_section(records), "",
        "## Plots", "", "![metrics per kind](metrics_by_kind.png)", "",
        "![top score distribution](score_distribution.png)", "", "![latency](latency.png)", "",
        f"## Misses ({len(misses(records))})", "", misses_section(records),
    ]
    paths["report"].write_text("\n".join(lines), encoding="utf-8")
    return paths


def plot_all(results: dict, out_dir: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = {}
    system = results["system"]
    base = results.get("baseline")

    by_kind = system["by_kind"]
    kinds = list(by_kind)
    shown = ("hit@1", "hit@3", "answered", "refusal", "grounded")
    fig, ax = plt.subplots(figsize=(11, 4.8))
    width = 0.8 / len(shown)
    for i, metric in enumerate(shown):
        values = [by_kind[k][metric] for k in kinds]
        xs = [j + (i - (len(shown) - 1) / 2) * width for j in range(len(kinds))]
        ax.bar([x for x, v in zip(xs, values) if v is not None], [100 * v for v in values if v is not None],
               width, label=metric)
    ax.set_xticks(range(len(kinds)), [f"{k}\n({by_kind[k]['cases']})" for k in kinds], fontsize=8)
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.set_title("Metrics per kind of question (system)")
    ax.legend(ncol=len(shown), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    fig.tight_layout()
    paths["metrics_by_kind"] = out_dir / "metrics_by_kind.png"
    fig.savefig(paths["metrics_by_kind"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4.8))
    cfg = results["settings"]
    for answerable, colour, label in ((True, "tab:green", "answerable"), (False, "tab:red", "unanswerable")):
        points = [(r["top"], r["coverage"]) for r in system["cases"] if r["answerable"] == answerable and "top" in r]
        ax.scatter([p[0] for p in points], [p[1] for p in points], c=colour, alpha=0.6, s=22,
                   label=f"{label} ({len(points)})")
    # The decision boundary: bias + w_top·top + w_cov·coverage = 0.
    xs = [-0.1, 1.0]
    if cfg["answer_coverage_weight"]:
        ys = [-(cfg["answer_bias"] + cfg["answer_top_weight"] * x) / cfg["answer_coverage_weight"] for x in xs]
        ax.plot(xs, ys, "k--", label="refusal boundary (answer above/right)")
    else:
        ax.axvline(-cfg["answer_bias"] / cfg["answer_top_weight"], color="black", linestyle="--", label="refusal threshold")
    ax.set_xlim(-0.1, 1.0)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("top retrieval score")
    ax.set_ylabel("share of question words the corpus knows")
    ax.set_title("Answerability: answerable vs unanswerable questions")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    paths["score_distribution"] = out_dir / "score_distribution.png"
    fig.savefig(paths["score_distribution"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4.2))
    lat = [r["latency_ms"] for r in system["cases"]]
    series = [(lat, "system")]
    if base:
        series.append(([r["latency_ms"] for r in base["cases"]], "naive baseline"))
    top = max(max(s) for s, _ in series)
    bins = [top * i / 30 for i in range(31)]
    for values, label in series:
        ax.hist(values, bins=bins, alpha=0.6, label=f"{label} (p50 {sorted(values)[len(values) // 2]:.1f} ms)")
    ax.set_xlabel("ask latency (ms, warm)")
    ax.set_ylabel("questions")
    ax.set_title("Latency per question")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths["latency"] = out_dir / "latency.png"
    fig.savefig(paths["latency"], dpi=110)
    plt.close(fig)
    return paths
