"""Answer from a list: its lead-in (or its section) as the items' subject, the closest items, how many there are,
and the rest one click away in Sources."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import joining
from .answer_plan import Entry, Plan
from .document_order import ListContext
from .types import Passage
from .quote_groups import Group, grow, units_of
from .quote_kinds import completes_previous, names_its_subject

LIST_ALL = 6  # a list this short is shown whole when the reader asks for a list
LIST_SHOWN = 3  # from a longer list, at least this many of the closest items are shown
LIST_CITED = 10  # items shown or pointed at in Sources, at most


@dataclass
class ListAnswer:
    """What the chosen sentences took from one list: maybe its lead-in, some of its items."""
    context: ListContext
    lead: tuple[int, Group] | None = None  # (hit, group) of the lead-in, when a chosen sentence was (or led to) it
    items: list[tuple[int, Group]] = field(default_factory=list)


def has_subject(passage: Passage) -> bool:
    return names_its_subject(passage.text)


def needs_block(answer: ListAnswer, plan: Plan, wants_list: bool) -> bool:
    """Shown as a list (lead-in or section, count, bullets) rather than as sentences among others: when the list is
    what was asked for or its lead-in answers, or an item needs its subject said."""
    passages = [plan.hits[h].passage for h, _ in answer.items]
    return (answer.lead is not None or not all(has_subject(p) for p in passages)
            or (wants_list and len(answer.context.items) >= 2))  # labelled items that answer read as sentences


def _heading(passage: Passage) -> str:
    return passage.section.split(" > ")[-1] if passage.section else passage.source


def place_list(plan: Plan, answer: ListAnswer, noun: str, wants_list: bool, how: bool) -> None:
    """Append the list block's entries to the plan."""
    items = list(answer.context.items)
    score = max((plan.hits[h].score for h, _ in answer.items), default=plan.hits[answer.lead[0]].score
                if answer.lead else 0.0)
    lead = answer.lead
    chosen = {plan.hits[h].passage.id: (h, g) for h, g in answer.items}
    for entry in [e for e in plan.entries if e.kind == "quote" and not e.bullet]:
        passage = plan.hits[entry.hit].passage
        if any(p.id == passage.id for p in items):  # quoted on its own earlier: it joins its list
            plan.entries.remove(entry)
            chosen.setdefault(passage.id, (entry.hit, Group(entry.lo, entry.hi)))
    shown_ids = [p.id for p in items if p.id in chosen]
    main = wants_list or answer.lead is not None  # the list is the answer: shown whole when short
    if main:
        retrieved = {h.passage.id for h in plan.hits}
        if len(items) <= LIST_ALL:
            shown_ids = [p.id for p in items]
        else:
            for p in items:
                if len(shown_ids) < LIST_SHOWN and p.id in retrieved and p.id not in shown_ids:
                    shown_ids.append(p.id)
            for p in items:
                if len(shown_ids) < LIST_SHOWN and p.id not in shown_ids:
                    shown_ids.append(p.id)
    for i in range(len(items) - 1, 0, -1):  # "Otherwise, …" leans on the item before it
        if items[i].id in shown_ids and items[i - 1].id not in shown_ids and completes_previous(items[i].text):
            shown_ids.append(items[i - 1].id)
    head = len(plan.entries)
    if lead is not None and plan.add(*lead) is None:
        lead = None  # it said again what the answer already says: the section names the items' subject instead
    for p in items:
        if p.id not in shown_ids:
            continue
        hit, group = chosen.get(p.id) or (plan.hit_index(p, score), grow(p, units_of(p), 0, how))
        if group is not None:
            plan.add(hit, group, bullet=True)
    shown_set = {plan.hits[e.hit].passage.id for e in plan.entries[head:] if e.kind == "quote" and e.bullet}
    if not shown_set:  # every item it would show is shown already (another part's block): nothing to add
        del plan.entries[head:]
        return
    rest = [p for p in items if p.id not in shown_set]
    total = sum(item_count(p) for p in items)
    if main or len(shown_set) >= 2:
        shown_items = total - sum(item_count(p) for p in rest)
        if total > 1:
            line = joining.list_count(total, noun, shown_items, "" if lead is not None else _heading(items[0]))
            plan.entries.insert(head, Entry("line", text=line))
        elif lead is None:
            plan.entries.insert(head, Entry("line", text=joining.under_section(_heading(items[0]))))
        pointed = rest[: max(LIST_SHOWN, LIST_CITED - len(shown_set))]
        if rest:
            line = joining.rest_in_sources(sum(item_count(p) for p in rest), sum(item_count(p) for p in pointed))
            plan.entries.append(Entry("rest", text=line, rest=[plan.hit_index(p, score) for p in pointed]))
    elif lead is None:  # one item, not a list answer: its section names its subject
        plan.entries.insert(head, Entry("line", text=joining.under_section(_heading(items[0]))))


_ITEM_LINE = re.compile(r"^(?:[-*+•]|\d{1,3}[.)])[ \t]", re.MULTILINE)


def item_count(passage: Passage) -> int:
    """The list items a passage holds: one, or more when short items were joined into one passage."""
    return 1 + len(_ITEM_LINE.findall(passage.text, 1))
