"""Compare HTML extractors on real doc pages: evidence kept, furniture and short passages, conversion time.

    python -m eval.html_compare [--extractors reducer,trafilatura,readability] [--samples 3]

Runs over the HTML corpora of eval/corpora.toml (whose eval sets give the evidence quotes) and a few
other page families installed with the same Debian packages (no eval set: passages only). trafilatura
and readability-lxml are not dependencies of rag: pip install them to compare. Results and the
decision: eval/html_extractors.md.
"""
from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path

from rag.corpus import Document
from rag.html_text import html_to_markdown
from rag.passages import split_corpus

from .corpora import load_catalogue
from .evalset import load_eval_set, normalise

FAMILIES = {  # other real page families installed here (never debian-faq or debian-history: held out)
    "python-library": ("/usr/share/doc/python3-doc/html/library", ["os.html", "json.html", "argparse.html",
                                                                   "functools.html", "sqlite3.html"]),
    "debian-handbook": ("/usr/share/doc/debian-handbook/html/en-US", ["sect.apt-get.html", "apt.html",
                                                                      "sect.the-debian-project.html"]),
    "git-manual": ("/usr/share/doc/git-doc", ["user-manual.html"]),
}
SHORT = 40

# What a reader would call furniture, not content: navigation links and labels, TOC lines, footers.
_FURNITURE = re.compile(
    r"^(- )?(index|modules|next|previous|prev|up|home|navigation|table of contents|contents|this page|"
    r"show source|report a bug|previous topic|next topic|quick search|search|menu|about|download|support|"
    r"documentation|purchase|license|go|«|»|\|)\s*[|»«]?$"
    r"|©|copyright|created using|last (updated|modified)|part of the \S+ suite|found a bug"
    r"|^\|(\s*\|)+\s*$", re.I)


def extractors() -> dict:
    def reducer(source: str) -> str:
        from rag.html_text import html_to_markdown
        return html_to_markdown(source)[0]

    def trafilatura_md(source: str) -> str:
        import trafilatura
        text = trafilatura.extract(source, output_format="markdown", include_tables=True, include_links=False,
                                   include_formatting=True, include_comments=False, favor_recall=True) or ""
        # inline Markdown would break verbatim quotes: keep its text only
        return re.sub(r"\*\*|`|\\(?=[_*\[\]#|])", "", text)

    def readability_reducer(source: str) -> str:
        from readability import Document as Readable

        from rag.html_text import html_to_markdown
        return html_to_markdown(Readable(source).summary(html_partial=True))[0]

    return {"reducer": reducer, "trafilatura": trafilatura_md, "readability": readability_reducer}


def is_furniture(passage_text: str, headings: set[str]) -> bool:
    text = passage_text.strip()
    bare = re.sub(r"^(- |\d+\. )", "", text).strip()
    return len(text) < 120 and bool(_FURNITURE.search(text)) or bare in headings


def measure(convert, files: list[Path], quotes: list[str]) -> dict:
    texts, docs, seconds = [], [], 0.0
    for path in files:
        source = path.read_text(encoding="utf-8", errors="replace")
        start = time.perf_counter()
        text = convert(source)
        seconds += time.perf_counter() - start
        texts.append(text)
        title = html_to_markdown(source)[1].get("title", path.stem)
        docs.append(Document(doc_id=path.name, title=title, text=text, format="markdown"))
    headings = {d.doc_id: {m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+)$", d.text, re.M)} for d in docs}
    passages = [(p, headings[p.doc_id]) for p in split_corpus(docs)]
    flat = [normalise(t) for t in texts]
    kept = [q for q in quotes if any(normalise(q) in t for t in flat)]
    held = [normalise(p.text) for p, _ in passages]
    in_one = [q for q in quotes if any(normalise(q) in t for t in held)]
    furniture = [p.text for p, heads in passages if is_furniture(p.text, heads)]
    short = [p.text for p, _ in passages if len(p.text.strip()) < SHORT]
    return {"files": len(files), "passages": len(passages), "short": len(short), "furniture": len(furniture),
            "quotes": len(quotes), "kept": len(kept), "in_one": len(in_one), "missing": [q for q in quotes if q not in kept],
            "seconds": seconds, "furniture_samples": furniture, "short_samples": short,
            "max_chars": max((len(p.text) for p, _ in passages), default=0)}


def corpora_inputs() -> dict[str, tuple[list[Path], list[str]]]:
    inputs = {}
    for name, corpus in load_catalogue().items():
        if not corpus.files or corpus.missing():
            continue
        quotes = [q for path in corpus.sets for case in load_eval_set(path) for q in case.evidence]
        inputs[name] = (list(corpus.files), quotes)
    for name, (folder, pages) in FAMILIES.items():
        files = [Path(folder) / p for p in pages if (Path(folder) / p).is_file()]
        if files:
            inputs[name] = (files, [])
    return inputs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extractors", default="reducer,trafilatura,readability")
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args(argv)
    table = extractors()
    inputs = corpora_inputs()
    print("| corpus | extractor | pages | passages | short < 40 | furniture | evidence kept | quote in one passage "
          "| longest | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    samples: list[str] = []
    for name, (files, quotes) in inputs.items():
        for ex in args.extractors.split(","):
            try:
                r = measure(table[ex], files, quotes)
            except ImportError as exc:  # the other extractors are not dependencies of rag
                print(f"| {name} | {ex} | skipped: {exc.name} is not installed (pip install {exc.name}) |")
                continue
            kept = f"{r['kept']}/{r['quotes']}" if r["quotes"] else "–"
            one = f"{r['in_one']}/{r['quotes']}" if r["quotes"] else "–"
            print(f"| {name} | {ex} | {r['files']} | {r['passages']} | {r['short']} | {r['furniture']} | {kept} | {one} "
                  f"| {r['max_chars']} | {r['seconds']:.2f} |", flush=True)
            counts = Counter(r["furniture_samples"]).most_common(args.samples)
            samples.append(f"{name}/{ex}: furniture {[t[:50] for t, _ in counts]}; "
                           f"short {[t[:40] for t in r['short_samples'][:args.samples]]}; "
                           f"missing {[q[:50] for q in r['missing'][:args.samples]]}")
    print()
    print("\n".join(samples))


if __name__ == "__main__":
    main()
