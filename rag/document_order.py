"""Passages in the order their document has them: what comes next, and the list (with its lead-in) an item is part of."""
from __future__ import annotations

from dataclasses import dataclass

from .types import Passage


@dataclass(frozen=True)
class ListContext:
    """The list an item belongs to: the passage introducing it (same section, just before it) and all its items."""
    lead: Passage | None
    items: tuple[Passage, ...]


class DocumentOrder:
    def __init__(self, passages: list[Passage]) -> None:
        self._ordered = sorted(passages, key=lambda p: (p.doc_id, p.start))
        self._at = {p.id: i for i, p in enumerate(self._ordered)}

    def _neighbour(self, passage: Passage, step: int) -> Passage | None:
        i = self._at.get(passage.id)
        if i is None or not 0 <= i + step < len(self._ordered):
            return None
        other = self._ordered[i + step]
        return other if other.doc_id == passage.doc_id else None

    def next(self, passage: Passage) -> Passage | None:
        return self._neighbour(passage, 1)

    def previous(self, passage: Passage) -> Passage | None:
        return self._neighbour(passage, -1)

    def list_after(self, passage: Passage) -> list[Passage]:
        """The list items that directly follow `passage` in its section, in order."""
        items, at = [], self.next(passage)
        while at is not None and at.kind == "item" and at.section == passage.section:
            items.append(at)
            at = self.next(at)
        return items

    def list_of(self, item: Passage) -> ListContext:
        """The run of items around `item` in its section, and the non-item passage just before the run, if any."""
        first = item
        while (before := self.previous(first)) is not None and before.kind == "item" and before.section == item.section:
            first = before
        lead = self.previous(first)
        if lead is not None and (lead.section != item.section or lead.kind == "row"):
            lead = None
        return ListContext(lead, (first, *self.list_after(first)))


_cache: tuple[list | None, DocumentOrder | None] = (None, None)


def document_order(passages: list[Passage]) -> DocumentOrder:
    """The order of `passages` (the index's passage list), built once per list: the index reloads with a new list."""
    global _cache
    if _cache[0] is not passages:
        _cache = (passages, DocumentOrder(passages))
    return _cache[1]
