"""Answers that read like answers, on the real article and, end to end through the CLI, on an HTML FAQ page."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, subprocess_env
from eval.evalset import load_eval_set
from eval.scoring import faithful_quotes
from rag.answer_checks import answer_defects, pieces

HELDOUT = ROOT / "eval" / "sets" / "home-heldout.jsonl"
FROBNIX = Path(__file__).parent / "data" / "frobnix"  # a made-up FAQ page: TOC, intro, lead-ins, code, a list


def quotes(answer) -> list[str]:
    return [p.text for p in pieces(answer) if not p.line]


def test_no_held_out_answer_has_a_defect(assistant):
    """Every held-out question about the home article: no defect, every quote verbatim in its passage."""
    defective = {}
    for case in load_eval_set(HELDOUT):
        answer = assistant.ask(case.question, list(case.context))
        if answer.refused:
            continue
        found = answer_defects(answer)
        if found:
            defective[case.id] = [(d.kind, d.text[:80]) for d in found]
        faithful, total = faithful_quotes(answer)
        assert faithful == total, (case.id, answer.text)
    assert not defective, defective


def test_a_sentence_about_the_article_is_never_quoted(assistant):
    for question in ["What is emotional intimacy and why does it matter?", "emotional intimacy overview"]:
        answer = assistant.ask(question)
        assert not any("This article explores" in q for q in quotes(answer)), answer.text


def test_a_list_answer_says_how_many_items_there_are_and_which_it_shows(assistant):
    short = assistant.ask("What are the benefits of emotional intimacy?")
    lines = short.text.splitlines()
    assert re.fullmatch(r"(Under “.+”, the article|The article) lists 6 benefits:", lines[0]), short.text
    assert sum(line.startswith("- ") for line in lines) == 6, "a short list is shown whole"

    long = assistant.ask("How can we build emotional intimacy?")
    assert "The article lists 10 ways; the 3 closest to your question:" in long.text, long.text
    items = [line for line in long.text.splitlines() if line.startswith("- ")]
    rest = re.search(r"^The other 7 are in Sources:((?: \[\d+\])+)$", long.text, re.M)
    assert len(items) == 3 and rest, long.text
    by_n = {c.n: c for c in long.citations}
    pointed = [by_n[int(n)] for n in re.findall(r"\d+", rest.group(1))]
    section = by_n[int(re.search(r"\[(\d+)\]$", items[0]).group(1))].section
    assert all(c.kind == "item" and c.section == section for c in pointed), "the rest of the list, one click away"
    assert answer_defects(long) == []


def test_a_list_item_keeps_its_subject(assistant):
    answer = assistant.ask("whats emotional intimacy in plain english")
    read = pieces(answer)
    for i, piece in enumerate(read):
        if piece.citation is not None and piece.citation.kind == "item" and ":" not in piece.text[:40]:
            before = [p for p in read[:i] if p.line or not p.bullet]
            assert before and (before[-1].line or before[-1].text.endswith(":")), answer.text
    assert answer_defects(answer) == []


def test_a_yes_no_question_gets_the_articles_yes_first(assistant):
    answer = assistant.ask("Can emotional intimacy exist without romance or sex?")
    first = quotes(answer)[0]
    assert first.startswith("Yes.") and len(first.split()) > 3, answer.text


def test_a_yes_or_no_is_never_quoted_for_another_question(assistant):
    """The FAQ's "Yes." answers "Can emotional intimacy exist without romance or sex?", not these."""
    for question in ["If my girlfriend and I argue sometimes, does that mean we lack emotional intimacy?",
                     "Is sex satisfying if there's no emotional connection behind it?"]:
        answer = assistant.ask(question)
        assert not any(re.match(r"(Yes|No)\b", q) for q in quotes(answer)), answer.text


def test_a_part_the_articles_do_not_cover_is_named(assistant):
    answer = assistant.ask("Are couples who lack emotional intimacy more likely to get divorced, "
                           "and what's the divorce rate?")
    assert answer.text.startswith("On “Are couples who lack emotional intimacy more likely to get divorced”:")
    assert answer.text.endswith("The articles don't cover this part: “what's the divorce rate?”"), answer.text
    both = assistant.ask("Is emotional intimacy possible without sex, and how long does it take to build?")
    assert "On “how long does it take to build?”:\nThere’s no fixed timeline." in both.text, both.text


def test_one_passage_is_one_citation(assistant):
    for question in ["How long does it take to build emotional intimacy?", "emotional intimacy timeline",
                     "Why does emotional intimacy matter in a relationship?"]:
        answer = assistant.ask(question)
        ids = [c.passage_id for c in answer.citations]
        assert len(ids) == len(set(ids)), answer.text
        assert len(re.findall(r"\[1\]", answer.text)) == 1, "one passage's adjacent sentences are one quote"


def ask_cli(env: dict, questions: list[str]) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "--json", "-"], input="\n".join(questions) + "\n",
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_an_html_faq_is_answered_without_fragments_end_to_end(model_data):
    env = subprocess_env(RAG_CORPUS_DIR=str(FROBNIX), RAG_DATA_DIR=str(model_data))
    branches, downgrade, hold, kernel, mirrors, off_topic = ask_cli(env, [
        "Can I go from stable to testing?", "Can I downgrade a package?",
        "How do I keep a package at its current version?", "How do I get rid of an old kernel?",
        "Which mirrors does frobnix use?", "What is the capital of France?"])

    assert "You can go from stable to testing to unstable. But the reverse direction is not possible" \
        in branches["answer"], "the sentence that negates the quoted one comes with it"
    assert re.match(r"No\. Frobnix keeps no older builds", downgrade["answer"]), "the article's no, with its reason"
    assert "frobctl hold package_name" in hold["answer"], "a how-to answer keeps its command"
    assert "frobctl purge kernel-NNN" in kernel["answer"]
    for answer in (branches, downgrade, hold, kernel, mirrors):
        assert "This guide explains" not in answer["answer"]
        assert not re.search(r"\?\s*\[\d+\]", answer["answer"]), "no question quoted back"
        ids = [c["text"] for c in answer["citations"]]
        assert len(ids) == len(set(ids))

    assert mirrors["answer"].splitlines()[:2] == [
        "The article lists 5 mirrors:", "Frobnix downloads packages from these mirrors, in this order: [1]"]
    assert sum(line.startswith("- ") for line in mirrors["answer"].splitlines()) == 5

    assert off_topic["refused"] and off_topic["citations"] == []
    assert off_topic["answer"].startswith("The articles don't say. Closest topics: “")
    assert 2 <= len(off_topic["suggestions"]) <= 3
    assert all(f"“{s}”" in off_topic["answer"] for s in off_topic["suggestions"])
