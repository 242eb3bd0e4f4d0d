"""The `rag` command: ingest the corpus and ask questions, as text or JSON lines."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .console import configure_logging, json_line, visible

EXIT_BAD_INPUT = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader left (`… | head`)
FLAGS = {"corpus_dir": "--corpus", "data_dir": "--data", "host": "--host", "port": "--port"}  # for error messages


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    configure_logging(args.verbose)
    from .corpus import CorpusError
    from .questions import QuestionError
    from .settings import SettingsError
    from .store import StoreError
    from .writer_lock import IndexBusy

    try:
        code = args.run(args)
        sys.stdout.flush()  # here, so a closed pipe is caught below rather than at exit
        return code
    except (QuestionError, CorpusError, SettingsError, IndexBusy) as exc:
        _error(exc)
        return EXIT_BAD_INPUT
    except StoreError as exc:
        _error(exc)
        return 1
    except BrokenPipeError:
        # The reader has gone: stop quietly like other tools. Whatever is still buffered goes to devnull,
        # so the interpreter's last flush has nothing to complain about.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130


def _error(message) -> None:
    print(f"rag: {visible(str(message))}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Cited answers from a folder of articles.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-c", "--corpus", type=Path, help="folder of articles (default: ./corpus, or RAG_CORPUS_DIR)")
    common.add_argument("-d", "--data", type=Path, help="index folder (default: ./.rag, or RAG_DATA_DIR)")
    common.add_argument("-v", "--verbose", action="store_true",
                        help="also print progress details and other libraries' warnings")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="index the articles (only what changed)")
    p.add_argument("--rebuild", action="store_true", help="drop the index and embed everything again")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("ask", parents=[common], help="answer a question with cited passages")
    p.add_argument("question", help='the question, or "-" to read one question per line from standard input')
    p.add_argument("-j", "--json", action="store_true", help="print JSON (one object per line with -)")
    p.add_argument("-s", "--stream", action="store_true",
                   help='print the answer as it is written (with --json: {"delta": …} lines, then the answer)')
    p.set_defaults(run=_ask)

    p = sub.add_parser("status", parents=[common],
                       help="what the index holds and whether the articles changed since the last ingest")
    p.add_argument("-j", "--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=_status)

    p = sub.add_parser("serve", parents=[common], help="serve the web chat and the JSON API")
    p.add_argument("--host", help="address to bind (default: 127.0.0.1, or RAG_HOST)")
    p.add_argument("--port", help="port (default: 7860, or RAG_PORT)")
    p.set_defaults(run=_serve)

    p = sub.add_parser("mcp", parents=[common], help="answer an AI assistant over MCP (stdio): tool ask, articles")
    p.set_defaults(run=_mcp)

    p = sub.add_parser("feedback", help="readers' 👍/👎 on answers")
    fb = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = fb.add_parser("export", parents=[common], help="turn the 👎 answers into draft eval cases (JSONL)")
    e.add_argument("-o", "--out", type=Path, help="write here instead of standard output")
    e.set_defaults(run=_feedback_export)

    p = sub.add_parser("bench", parents=[common], help="measure latency, start-up, ingest, memory and scaling")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    p.add_argument("--sizes", default="1000,10000,100000", help="synthetic corpus sizes for the scaling curve")
    p.add_argument("--out", type=Path, default=Path("eval/out"), help="where bench.md/json/png go (default: eval/out)")
    p.add_argument("--no-naive", action="store_true", help="skip the naive pipeline")
    p.add_argument("--real-pages", type=int, default=40, help="python3-doc pages for the real-corpus row (0 = skip)")
    p.add_argument("--real-corpus", type=Path, default=Path("/usr/share/doc/python3-doc/html/library"),
                   help="folder of the real-corpus pages (default: python3-doc's library reference)")
    p.set_defaults(run=_bench)

    p = sub.add_parser("eval", parents=[common], help="score the system on the eval set and write a report")
    p.add_argument("--set", "--eval", dest="set", type=Path, help="eval set JSONL (default: eval/faq.jsonl)")
    p.add_argument("--all", action="store_true",
                   help="every corpus of eval/corpora.toml with its own eval sets: one table per corpus and split")
    p.add_argument("--corpora", help="with --all: only these corpora (comma-separated names)")
    p.add_argument("--split", choices=("dev", "test"), help="only the cases of this split (default: all)")
    p.add_argument("--out", type=Path, default=Path("eval/out"), help="report folder (default: eval/out)")
    p.add_argument("--baseline", action="store_true", help="also run the naive llama-index pipeline, side by side")
    p.add_argument("--ablation", action="store_true", help="also run each retrieval step switched on in turn")
    p.set_defaults(run=_eval)
    return parser


def _settings(args, **more):
    """Settings from the environment and the command's flags; a bad flag value is reported under its flag."""
    from .settings import Settings, SettingsError

    overrides = {"corpus_dir": args.corpus, "data_dir": args.data, **more}
    try:
        return Settings.from_env(**overrides)
    except SettingsError as exc:
        if overrides.get(exc.field) is None:
            raise
        raise exc.relabeled(FLAGS.get(exc.field, exc.label)) from None


def _serve(args) -> int:
    from .web import serve

    return serve(_settings(args, host=args.host, port=args.port))


def _mcp(args) -> int:
    try:
        import mcp  # noqa: F401  (an optional extra)
    except ImportError:
        _error("`rag mcp` needs the MCP SDK: pip install 'rag[mcp]' (or: pip install 'mcp>=2')")
        return EXIT_BAD_INPUT
    from .mcp_server import serve

    return serve(_settings(args))


def _feedback_export(args) -> int:
    from .feedback import FeedbackLog, draft_cases

    log = FeedbackLog(_settings(args).data_dir)
    try:
        entries, skipped = log.read()
    except OSError as exc:
        _error(f"cannot read {log.path}: {exc.strerror or exc}")
        return 1
    drafts = draft_cases(entries)
    text = "".join(json_line(d) + "\n" for d in drafts)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))  # the export is UTF-8 whatever the terminal's locale
    _error(f"{len(drafts)} draft cases from {len(entries)} feedback entries in {log.path}; "
           f"{skipped} unreadable lines skipped" + (" (-v lists them)" if skipped and not args.verbose else ""))
    return 0


def _ingest(args) -> int:
    from .ingest import ingest

    report = ingest(_settings(args), rebuild=args.rebuild, progress=False if args.quiet else None)
    print(visible(report.summary()))
    return 0


def _status(args) -> int:
    from .status import index_status, status_text

    status = index_status(_settings(args))
    print(json_line(status) if args.json else visible(status_text(status)))
    return 0


def _ask(args) -> int:
    from .assistant import Assistant
    from .questions import QuestionError, clean_question

    settings = _settings(args)
    if args.question != "-":
        clean_question(args.question, settings.max_question_chars)  # fail fast, before loading models
        assistant = Assistant.load(settings)
        if args.stream:
            return _ask_streaming(assistant, args.question, args.json)
        answer = assistant.ask(args.question)
        print(json_line(answer.to_dict()) if args.json else _as_text(answer))
        return 0
    assistant = Assistant.load(settings)
    for raw in sys.stdin.buffer:
        try:
            question = raw.decode("utf-8").rstrip("\n").rstrip("\r")
        except UnicodeDecodeError:
            question = raw.decode("utf-8", "replace").rstrip("\n").rstrip("\r")
            result = {"question": question, "error": "the line is not valid UTF-8; please send UTF-8 text"}
        else:
            try:
                result = assistant.ask(question).to_dict()
            except QuestionError as exc:
                result = {"question": question, "error": str(exc)}
        print(json_line(result) if args.json else _as_text_dict(result), flush=True)
    return 0


def _ask_streaming(assistant, question: str, as_json: bool) -> int:
    from .types import Answer

    for item in assistant.stream(question):
        if isinstance(item, Answer):
            if as_json:
                print(json_line(item.to_dict()), flush=True)
            else:
                print(visible("\n\n" + _sources_text(item.to_dict())), end="", flush=True)
        elif as_json:
            print(json_line({"delta": item}), flush=True)
        else:
            print(visible(item), end="", flush=True)
    return 0


def _bench(args) -> int:
    try:
        from eval.bench import bench_markdown, run_bench
    except ImportError:
        _error("the eval package is not installed; run from the project folder")
        return EXIT_BAD_INPUT
    try:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError:
        _error(f"--sizes takes numbers separated by commas, got {args.sizes!r}")
        return EXIT_BAD_INPUT
    if any(n < 1 for n in sizes):
        _error("--sizes must be positive")
        return EXIT_BAD_INPUT
    if args.real_pages < 0:
        _error("--real-pages must be 0 or more")
        return EXIT_BAD_INPUT
    result = run_bench(_settings(args), sizes, args.out, naive=not args.no_naive, real_pages=args.real_pages,
                       real_source=args.real_corpus)
    print(json.dumps(result) if args.json else bench_markdown(result))
    return 0


def _eval(args) -> int:
    try:
        from eval.evalset import EvalSetError
        from eval.report import metrics_table
        from eval.runner import run_eval
    except ImportError:
        _error("the eval package is not installed; run from the project folder")
        return EXIT_BAD_INPUT
    if args.all or args.corpora:
        return _eval_corpora(args)
    try:
        results = run_eval(_settings(args), args.set, args.out, baseline=args.baseline, ablation=args.ablation,
                           split=args.split)
    except EvalSetError as exc:
        _error(exc)
        return EXIT_BAD_INPUT
    print(metrics_table(results))
    if results.get("ablation"):
        from eval.ablation import ablation_table

        print()
        print(ablation_table(results["ablation"], (results.get("baseline") or {}).get("summary")))
    print(f"\nReport: {results['paths']['report']}")
    return 0


def _eval_corpora(args) -> int:
    from eval.evalset import EvalSetError
    from eval.multi import corpora_table, run_corpora

    names = [n.strip() for n in args.corpora.split(",") if n.strip()] if args.corpora else None
    try:
        results = run_corpora(names, args.out / "corpora", _settings(args), args.split,
                              baseline=args.baseline, ablation=args.ablation)
    except (EvalSetError, ValueError) as exc:
        _error(exc)
        return EXIT_BAD_INPUT
    print(corpora_table(results))
    print(f"\nReport: {args.out / 'corpora' / 'report.md'}")
    return 0


def _as_text(answer) -> str:
    return _as_text_dict(answer.to_dict())


def _as_text_dict(result: dict) -> str:
    """An answer (or an error) for the terminal: the text, then its sources; control characters made visible."""
    if "error" in result:
        return visible(f"error: {result['error']}\n")
    sources = _sources_text(result)
    return visible(result["answer"] + ("\n\n" + sources if sources.strip() else "\n"))


def _sources_text(result: dict) -> str:
    """The notice, if any, and each cited passage under its marker, source and section."""
    lines = [f"note: {result['notice']}", ""] if result.get("notice") else []
    for c in result["citations"]:
        where = f"{c['source']} › {c['section']}" if c["section"] else c["source"]
        lines.append(f"[{c['n']}] {where}  (score {c['score']:.2f})")
        lines.extend("    " + ln for ln in c["text"].splitlines())
    return "\n".join(lines).rstrip() + "\n" if lines else ""


if __name__ == "__main__":
    sys.exit(main())
