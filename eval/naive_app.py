"""The naive pipeline behind a minimal Gradio chat, for rag bench's side-by-side start-up and memory figures.

    python -m eval.naive_app --port 7861
"""
from __future__ import annotations

import argparse


def main(argv=None) -> int:
    import gradio as gr

    from rag.settings import Settings

    from .baseline import NaiveBaseline

    parser = argparse.ArgumentParser(prog="python -m eval.naive_app")
    parser.add_argument("--port", type=int, default=7861)
    args = parser.parse_args(argv)
    naive = NaiveBaseline(Settings.from_env().corpus_dir)
    gr.ChatInterface(lambda message, history: naive.ask_traced(message)[0].text, api_name="chat").launch(
        server_name="127.0.0.1", server_port=args.port, share=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
