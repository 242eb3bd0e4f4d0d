"""rag/types.py holds the values passed between layers; the modules that defined them still export them, and the
answer layer works on them without importing the Chroma store."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, subprocess_env

import rag
from rag import answer_types, corpus, passages, store, types

ANSWER_LAYER = ["composer", "generative", "answer_plan", "answerability", "support", "suggestions",
                "sentence_choice", "answer_checks", "answer_text", "joining", "quote_groups", "list_blocks"]


def test_the_old_homes_export_the_same_classes():
    assert (corpus.Document, passages.Passage, store.Hit) == (types.Document, types.Passage, types.Hit)
    assert (answer_types.Answer, answer_types.Citation, answer_types.Quote) == (types.Answer, types.Citation,
                                                                                 types.Quote)
    assert (rag.Answer, rag.Citation) == (types.Answer, types.Citation)
    assert {cls.__module__ for cls in (types.Document, types.Passage, types.Hit, types.Quote, types.Citation,
                                       types.Answer)} == {"rag.types"}


def test_the_answer_layer_imports_neither_the_store_nor_chromadb():
    probe = (f"import sys; import {', '.join('rag.' + m for m in ANSWER_LAYER)}; "
             "print(sorted(m for m in ('rag.store', 'chromadb', 'rag.ingest', 'rag.vector_cache') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], env=subprocess_env(), cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_types_imports_nothing_of_rag():
    probe = "import sys; import rag.types; print(sorted(m for m in sys.modules if m.startswith('rag.')))"
    done = subprocess.run([sys.executable, "-c", probe], env=subprocess_env(), cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['rag.settings', 'rag.types']"  # rag/__init__ sets the offline environment first
