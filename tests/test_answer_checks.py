"""The defect checks on hand-made answers: each defect is found where it is, and nowhere else."""
from __future__ import annotations

import pytest

from rag.answer_checks import answer_defects, pieces
from rag.answer_types import Answer, Citation, Quote
from eval.scoring import faithful_quotes, faithful_sentences

TIMELINE = "There’s no fixed timeline. Emotional intimacy can grow quickly for some, while for others it takes years."
BRANCHES = "You can go from stable to testing to unstable. But the reverse direction is not possible."
HOLD = "To keep a package at its version, run the following.\n\n```\nfrobctl hold package_name\n```"
INTRO = "Trust grows slowly between partners. This article explores what trust means and how to build it."
OBSTACLES = "Common obstacles include:"
ITEM_PLAIN = "Is different from physical closeness and can exist on its own."
ITEM_LABEL = "Listen actively: Give your full attention to your partner."


def cite(n: int, text: str, *quoted: str, kind: str = "paragraph", section: str = "Doc > Section") -> Citation:
    quotes = tuple(Quote(text.index(q), text.index(q) + len(q), q) for q in quoted)
    return Citation(n, text, "Doc", section, 0.5, "d", f"p{n}-{hash(text) % 1000}", quotes, kind)


def answer(question: str, text: str, *citations: Citation) -> Answer:
    return Answer(question, text, False, list(citations))


def kinds(a: Answer) -> list[str]:
    return [d.kind for d in answer_defects(a)]


def test_a_clean_answer_has_no_defect():
    a = answer("How long does it take?", f"{TIMELINE} [1]", cite(1, TIMELINE, TIMELINE))
    assert kinds(a) == []


@pytest.mark.parametrize("question, text, citations, kind", [
    ("What is trust?", f"{INTRO} [1]", [cite(1, INTRO, INTRO)], "about-document"),
    ("How long?", "How long does it take to build trust? [1]",
     [cite(1, "How long does it take to build trust? It varies.", "How long does it take to build trust?")],
     "question-or-heading"),
    ("How long?", "Frequently asked questions [1]",
     [cite(1, "Frequently asked questions", "Frequently asked questions")], "question-or-heading"),
    ("Is it stable?", "Very stable. [1]", [cite(1, "Very stable.", "Very stable.")], "scrap"),
    ("Is it hard?", "A better way: [1]", [cite(1, "A better way:", "A better way:")], "dangling-lead-in"),
    ("What gets in the way?", f"{OBSTACLES} [1]", [cite(1, OBSTACLES, OBSTACLES)], "dangling-lead-in"),
    ("How do I keep it?", "To keep a package at its version, run the following. [1]",
     [cite(1, HOLD, "To keep a package at its version, run the following.")], "dangling-lead-in"),
    ("What is it?", f"- {ITEM_PLAIN} [1]", [cite(1, ITEM_PLAIN, ITEM_PLAIN, kind="item")], "subjectless-item"),
    ("Can I go back to stable?", "You can go from stable to testing to unstable. [1]",
     [cite(1, BRANCHES, "You can go from stable to testing to unstable.")], "missing-completion"),
    ("Is the reverse possible?", "But the reverse direction is not possible. [1]",
     [cite(1, BRANCHES, "But the reverse direction is not possible.")], "missing-completion"),
    ("How do I hold a package?", f"{HOLD[:HOLD.index('following.') + 10]} [1]",
     [cite(1, HOLD, HOLD[:HOLD.index("following.") + 10])], "missing-command"),
    ("How long?", f"{TIMELINE} [1] {TIMELINE} [2]",
     [cite(1, TIMELINE, TIMELINE), cite(2, TIMELINE + " ", TIMELINE)], "repeat"),
    ("How long?", f"There’s no fixed timeline. [1] {TIMELINE[27:]} [2]",
     [cite(1, TIMELINE, "There’s no fixed timeline."), cite(2, TIMELINE, TIMELINE[27:])], "passage-cited-twice"),
    ("What helps?", f"- {ITEM_LABEL} [1]\n- Share feelings: Say what you feel and why. [2]",
     [cite(1, ITEM_LABEL, ITEM_LABEL, kind="item"),
      cite(2, "Share feelings: Say what you feel and why.", "Share feelings: Say what you feel and why.", kind="item")],
     "list-uncounted"),
    ("Can I go back to stable?", "Trust grows slowly between partners. [1] No. You cannot go back. [2]",
     [cite(1, "Trust grows slowly between partners.", "Trust grows slowly between partners."),
      cite(2, "No. You cannot go back.", "No. You cannot go back.", section="FAQ > Can I go back to stable?")],
     "yes-or-no-not-first"),
    ("Do couples ever argue?", "Yes. Emotional closeness can exist without romance. [1]",
     [cite(1, "Yes. Emotional closeness can exist without romance.", "Yes. Emotional closeness can exist without romance.",
           section="FAQ > Can emotional closeness exist without romance?")], "yes-or-no-out-of-context"),
    ("How long does it take, and what is the divorce rate?", f"{TIMELINE} [1]", [cite(1, TIMELINE, TIMELINE)],
     "part-unanswered"),
])
def test_each_defect_is_found(question, text, citations, kind):
    assert kind in kinds(answer(question, text, *citations))


def test_what_mends_each_defect_passes():
    items = [cite(2, ITEM_LABEL, ITEM_LABEL, kind="item"),
             cite(3, "Share feelings: Say what you feel and why.", "Share feelings: Say what you feel and why.",
                  kind="item")]
    lead = cite(1, "Consider these strategies:", "Consider these strategies:")
    text = (f"The article lists 4 ways; the 2 closest to your question:\nConsider these strategies: [1]\n- {ITEM_LABEL} [2]\n"
            f"- Share feelings: Say what you feel and why. [3]\nThe other 2 are in Sources: [4] [5]")
    rest = [cite(4, "Plan dates: Set time aside.", "Plan dates: Set time aside.", kind="item"),
            cite(5, "Be kind: Small things count.", "Be kind: Small things count.", kind="item")]
    assert kinds(answer("What helps?", text, lead, *items, *rest)) == []
    subject = f"Under “Section”:\n- {ITEM_PLAIN} [1]"
    assert kinds(answer("What is it?", subject, cite(1, ITEM_PLAIN, ITEM_PLAIN, kind="item"))) == []
    assert kinds(answer("Can I go back?", f"{BRANCHES} [1]", cite(1, BRANCHES, BRANCHES))) == []
    assert kinds(answer("How do I hold a package?", f"{HOLD} [1]", cite(1, HOLD, HOLD))) == []
    parts = (f"On “How long does it take”:\n{TIMELINE} [1]\n"
             f"The articles don't cover this part: “what is the divorce rate?”")
    assert kinds(answer("How long does it take, and what is the divorce rate?", parts,
                        cite(1, TIMELINE, TIMELINE))) == []


def test_a_marker_inside_a_quoted_code_block_is_part_of_the_quote():
    code = "Lists grow in place:\n\n```\n>>> a_list += [1]\n>>> a_list\n[1]\n```"
    a = answer("How do lists grow?", f"{code} [1]", cite(1, code, code))
    read = [p for p in pieces(a) if not p.line]
    assert [p.text for p in read] == [code]
    assert faithful_quotes(a) == (1, 1) and kinds(a) == []
    assert faithful_sentences(a.text, {1: code}) != (1, 1), "split at markers alone, the code breaks the quote"


def test_the_answers_own_lines_are_set_aside_but_other_unquoted_words_are_not():
    text = f"The article lists 2 ways:\n{TIMELINE} [1]"
    assert faithful_sentences(text, {1: TIMELINE}) == (1, 1)
    assert faithful_sentences(f"Here is what I think:\n{TIMELINE} [1]", {1: TIMELINE}) == (0, 1)
    assert faithful_quotes(answer("q", f"{TIMELINE} [1] And more words.", cite(1, TIMELINE, TIMELINE))) == (1, 2)


def test_a_written_answer_is_checked_sentence_by_sentence():
    written = Answer("How long?", "This article explains how trust grows [1]. Does it take long [1]? Trust takes "
                     "time to grow [1]. Trust takes time to grow [1].", False,
                     [cite(1, TIMELINE, "There’s no fixed timeline.")], mode="generative")
    assert sorted(set(kinds(written))) == ["about-document", "question-or-heading", "repeat"]
