"""The finer vectors of a passage: each sentence under its heading, and the heading itself."""
from __future__ import annotations

from dataclasses import dataclass

from .passages import Passage
from .sentences import split_sentences


@dataclass(frozen=True)
class Unit:
    id: str
    passage_id: str
    kind: str  # "sentence" | "heading"
    text: str


def heading_of(passage: Passage) -> str:
    return passage.section.split(" > ")[-1] if passage.section else ""


def row_cells(line: str) -> list[str]:
    """The cells of one Markdown table line: "| a | b |" -> ["a", "b"]."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _row_cells(passage: Passage) -> tuple[list[str], list[str]]:
    """(column names, cells) of a table-row passage; no names when its header is missing."""
    lines = passage.text.splitlines()
    return (row_cells(lines[0]) if len(lines) >= 3 else []), row_cells(lines[-1])


def row_as_text(passage: Passage) -> str:
    """A table row read out with its column names: "Aspect: Definition; Emotional Intimacy: …"."""
    names, cells = _row_cells(passage)
    if len(names) != len(cells):
        return " ; ".join(cells)
    return "; ".join(f"{n}: {c}" for n, c in zip(names, cells))


def row_cells_as_text(passage: Passage) -> list[str]:
    """Each cell of a table row as its own statement: "Sexual Intimacy, Independence: May be …"."""
    names, cells = _row_cells(passage)
    if len(names) != len(cells) or len(cells) < 3:
        return []
    return [f"{names[i]}, {cells[0]}: {cells[i]}" for i in range(1, len(cells)) if cells[i]]


def passage_units(passage: Passage) -> list[Unit]:
    """One unit per sentence (a table row: the row, then each cell), under the nearest heading; plus that heading."""
    heading = heading_of(passage)
    prefix = f"{heading}: " if heading else ""
    if passage.kind == "row":
        sentences = [row_as_text(passage)] + row_cells_as_text(passage)
    else:
        sentences = split_sentences(passage.text)
    units = [Unit(f"{passage.id}:s{i}", passage.id, "sentence", prefix + s) for i, s in enumerate(sentences)]
    units.append(Unit(f"{passage.id}:h", passage.id, "heading", heading or passage.source))
    return units
