"""Build an extractive answer from retrieved passages: verbatim quotes that read as an answer, each with its [n]."""
from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from . import joining
from .answer_plan import Entry, Plan
from .document_order import DocumentOrder
from .list_blocks import ListAnswer, needs_block, place_list
from .question_forms import asks_for_list, asks_how, asks_yes_or_no, list_noun
from .question_parts import question_parts, speaks_of
from .quote_groups import Group, completion_needed, grow, units_of, yes_or_no_unit
from .units import heading_of
from .quote_kinds import same_question
from .sentence_choice import Scorer, Sentence, pick_for_part, pick_single, quotable_sentences
from .settings import Settings
from .types import Answer, Hit
from .suggestions import closest_topics
from .terms import content_terms

REFUSAL = joining.REFUSAL
CITATION_MARGIN = 0.1  # a passage this far below the best one is not worth citing beside it
PART_FLOOR = 0.35  # a part whose best sentence is less similar than this in meaning may not be covered


def refusal(question: str, hits: list[Hit] = ()) -> Answer:
    """"The articles don't say", with the nearest sections named as topics to ask about instead (never as an answer)."""
    topics = closest_topics(list(hits))
    return Answer(question=question, text=joining.refusal(topics), refused=True, citations=[], suggestions=topics)


def compose(question: str, hits: list[Hit], settings: Settings, vector: np.ndarray | None = None,
            sentence_vectors: dict | None = None, parts: list[tuple[str, np.ndarray]] = (),
            document: DocumentOrder | None = None, asked: str | None = None) -> Answer:
    """The answer from `hits`, which the answerability decision has judged to answer the question.

    `question` is what retrieval searched for and `asked` the reader's own words (their form — yes/no, how,
    a list — shapes the answer); `vector` is the question's embedding and `sentence_vectors` the hits'
    sentence vectors (from retrieval); `parts` are the (text, vector) of each part of a multi-part question,
    answered in turn; `document` puts passages in their documents' order (lists, lead-ins, what comes next).
    """
    asked = asked or question
    if not hits:
        return refusal(asked)
    sentence_vectors = sentence_vectors or {}
    document = document or DocumentOrder([h.passage for h in hits])
    how, wants_list = asks_how(asked), asks_for_list(asked)
    plan = Plan(hits)
    if len(parts) > 1:
        _answer_by_part(plan, asked, parts, vector, sentence_vectors, settings, document, how)
    else:
        floor = hits[0].score - CITATION_MARGIN
        near = [i for i, h in enumerate(hits[: settings.max_citations]) if h.score >= floor or i == 0]
        pool = quotable_sentences(hits, near, sentence_vectors) or \
            quotable_sentences(hits, range(min(len(hits), settings.max_citations)), sentence_vectors)  # junk on top
        chosen = pick_single(pool, Scorer(hits, question, vector), settings.max_sentences)
        _place(plan, chosen, document, how, wants_list, list_noun(asked))
        plan.drop_repeats()
        if asks_yes_or_no(asked):
            _yes_or_no_first(plan, asked, how)
    if not any(e.kind == "quote" for e in plan.entries):
        return refusal(asked, hits)
    return plan.render(asked)


def _answer_by_part(plan: Plan, asked: str, parts, vector, sentence_vectors, settings: Settings,
                    document: DocumentOrder, how: bool) -> None:
    """Each part under a line naming it ("On “how long does it take?”:"), or a line saying the articles don't
    cover it; a part whose quotes another part already gave shares that part's line."""
    labels = question_parts(asked)
    if len(labels) != len(parts):
        labels = [text for text, _ in parts]
    pool = quotable_sentences(plan.hits, range(len(plan.hits)), sentence_vectors)
    chosen: list[Sentence] = []
    uncovered: list[str] = []
    for (text, v), label in zip(parts, labels):
        scorer = Scorer(plan.hits, text, (v + vector) / 2 if vector is not None else v)
        picked = pick_for_part(pool, scorer, chosen, settings.max_sentences - len(chosen))
        if not picked or not _part_covered(text, v, picked, pool, plan.hits):
            uncovered.append(label)
            continue
        chosen += picked
        head = len(plan.entries)
        _place(plan, picked, document, how, asks_for_list(label), list_noun(label))
        if len(plan.entries) > head:
            plan.entries.insert(head, Entry("line", text=joining.part_label([label]), parts=[label]))
        elif any(e.parts for e in plan.entries):
            _join_label(plan, [e for e in plan.entries if e.parts][-1], [label], after=True)
        else:
            uncovered.append(label)
    plan.drop_repeats()
    _settle_labels(plan)
    plan.entries += [Entry("line", text=joining.part_not_covered(label)) for label in uncovered]


def _part_covered(text: str, vector, picked: list[Sentence], pool: list[Sentence], hits: list[Hit]) -> bool:
    """Not covered when nothing retrieved is near the part in meaning (PART_FLOOR) and none of the sentences
    chosen for it names any of its words; a part of one content word ("what should we do instead?") leans on the
    rest of the question and is taken as covered."""
    terms = set(content_terms(text))
    if len(terms) < 2:
        return True
    best = max((float(x @ vector) for s in pool for x in s.vectors), default=1.0)
    return best >= PART_FLOOR or speaks_of(terms, [s.text for s in picked] +
                                           [hits[s.hit].passage.section for s in picked])


def _join_label(plan: Plan, line: Entry, labels: list[str], after: bool) -> None:
    line.parts = line.parts + labels if after else labels + line.parts
    line.text = joining.part_label(line.parts)


def _settle_labels(plan: Plan) -> None:
    """A part's line left with no quote under it (its quote repeated another part's) joins the line of the part
    before it (or after it, for the first part)."""
    for line in [e for e in plan.entries if e.parts]:
        at = plan.entries.index(line)
        nxt = next((x for x in plan.entries[at + 1:] if x.kind == "quote" or x.parts), None)
        others = [x for x in plan.entries if x.parts and x is not line]
        if (nxt is not None and nxt.kind == "quote") or not others:
            continue
        before = [x for x in others if plan.entries.index(x) < at]
        _join_label(plan, before[-1] if before else others[0], line.parts, after=bool(before))
        plan.entries.remove(line)


def _place(plan: Plan, chosen: list[Sentence], document: DocumentOrder, how: bool, wants_list: bool,
           noun: str) -> None:
    """Grow each chosen sentence into a quote that reads on its own and put it in the plan, a list's items and
    lead-in together as one block at the place of the first of them."""
    order: list[tuple[int, Group] | str] = []  # a quote, or the key of a list answer
    lists: dict[str, ListAnswer] = {}

    def list_answer(context) -> str:
        key = context.items[0].id
        if key not in lists:
            lists[key] = ListAnswer(context)
            order.append(key)
        return key

    for s in chosen:
        passage = plan.hits[s.hit].passage
        units = plan.units(s.hit)
        group = grow(passage, units, s.unit, how)
        if group is None:
            continue
        if passage.kind == "item":
            lists[list_answer(document.list_of(passage))].items.append((s.hit, group))
            continue
        if not group.open_lead:
            order.append((s.hit, group))
            continue
        after = document.next(passage)
        if after is not None and after.kind == "item" and after.section == passage.section:
            context = document.list_of(after)
            finishes = group.hi > group.lo and completion_needed(units, group.hi)  # "…. Instead, use these:"
            if s.hit == 0 or finishes or any(p.id == plan.hits[0].passage.id for p in context.items):
                key = list_answer(context)  # the best passage introduces the list, or is in it: the list answers
                lists[key].lead = lists[key].lead or (s.hit, group)
                continue
        if after is not None and units_of(after) and units_of(after)[0].code:
            order.append((s.hit, group))
            follow = grow(after, units_of(after), 0, how)
            if follow is not None:
                order.append((plan.hit_index(after, plan.hits[s.hit].score), follow))
            continue
        if group.hi > s.unit and not completion_needed(units, group.hi):
            order.append((s.hit, Group(group.lo, group.hi - 1)))  # the lead-in, without what it introduces, is left out
    for item in order:
        if isinstance(item, str):
            answer = lists[item]
            if needs_block(answer, plan, wants_list):
                place_list(plan, answer, noun, wants_list, how)
            else:
                for hit, group in answer.items:
                    plan.add(hit, group)
        else:
            plan.add(*item)


def _yes_or_no_first(plan: Plan, asked: str, how: bool) -> None:
    """The article's own yes or no opens the answer: from the best-ranked passage that answers the very question
    asked (its heading asks it) and opens with one. A "Yes." under another question is never quoted."""
    for hit in range(len(plan.hits)):
        passage = plan.hits[hit].passage
        units = plan.units(hit)
        found = yes_or_no_unit(units)
        if found is None or not same_question(asked, heading_of(passage)):
            continue
        group = grow(passage, units, found, how)
        if group is not None:
            plan.move_first(hit, group)
        return


_PIECE_END = re.compile(r"\n|\](?= |\n|$)|[.!?…][\"'”’)\]]*(?= [\"'“‘(\[]?[A-Z0-9])")


def stream_text(text: str) -> Iterator[str]:
    """An answer's text in pieces that end at its sentence, marker and line ends; joined they give `text` back."""
    start = 0
    for match in _PIECE_END.finditer(text):
        if match.end() > start:
            yield text[start: match.end()]
            start = match.end()
    if start < len(text):
        yield text[start:]
