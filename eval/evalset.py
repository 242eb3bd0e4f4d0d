"""Load eval cases from JSONL and check every evidence quote against the corpus."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SET = Path(__file__).with_name("faq.jsonl")
SPLITS = ("dev", "test")
KINDS = ("faq", "faq-reworded", "section", "table", "multi", "follow-up", "unanswerable-far", "unanswerable-near",
         "adversarial")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


class EvalSetError(Exception):
    """The eval set is malformed or quotes text the corpus does not have."""


def normalise(text: str) -> str:
    """Whitespace collapsed and curly quotes straightened, so quotes match whatever the chunking did."""
    return " ".join(text.translate(_QUOTES).split())


@dataclass(frozen=True)
class EvalCase:
    id: str
    question: str
    kind: str
    evidence: tuple[str, ...] = field(default_factory=tuple)
    reference: str | None = None
    context: tuple[str, ...] = ()  # earlier questions of the conversation, oldest first (follow-ups)
    split: str = "dev"  # "dev" (tuning may look at it) or "test" (never tuned on)
    style: str = ""  # how the reader put it: paraphrase, casual, typo, two-part, keyword, ...

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)

    def holds_evidence(self, passage_text: str) -> bool:
        text = normalise(passage_text)
        return any(normalise(q) in text for q in self.evidence)

    def quotes_in(self, passage_text: str) -> set[int]:
        text = normalise(passage_text)
        return {i for i, q in enumerate(self.evidence) if normalise(q) in text}


def load_eval_set(path: Path = DEFAULT_SET, corpus_texts: list[str] | None = None,
                  split: str | None = None) -> list[EvalCase]:
    """Parse and validate; with `corpus_texts`, every evidence quote must occur in one of them.

    With `split` ("dev" or "test"), only the cases of that split are returned.
    """
    cases: list[EvalCase] = []
    seen: set[str] = set()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalSetError(f"cannot read eval set {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            case = EvalCase(id=str(raw["id"]), question=str(raw["question"]), kind=str(raw["kind"]),
                            evidence=tuple(raw.get("evidence") or ()), reference=raw.get("reference"),
                            context=tuple(str(c) for c in raw.get("context") or ()),
                            split=str(raw.get("split") or "dev"), style=str(raw.get("style") or ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalSetError(f"{path}:{number}: not a valid case ({exc})") from exc
        if case.kind not in KINDS:
            raise EvalSetError(f"{path}:{number}: unknown kind {case.kind!r}; expected one of {', '.join(KINDS)}")
        if case.split not in SPLITS:
            raise EvalSetError(f"{path}:{number}: unknown split {case.split!r}; expected dev or test")
        if case.kind == "follow-up" and not case.context:
            raise EvalSetError(f"{path}:{number}: a follow-up case needs the earlier question in 'context'")
        if case.id in seen:
            raise EvalSetError(f"{path}:{number}: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise EvalSetError(f"{path}: no cases")
    if corpus_texts is not None:
        corpus = [normalise(t) for t in corpus_texts]
        missing = [(c.id, q) for c in cases for q in c.evidence if not any(normalise(q) in t for t in corpus)]
        if missing:
            shown = "; ".join(f"{cid}: {q[:60]!r}" for cid, q in missing[:5])
            raise EvalSetError(f"{len(missing)} evidence quotes are not in the corpus: {shown}")
    return [c for c in cases if split is None or c.split == split]


def group_of(case: EvalCase) -> str:
    """Kinds folded into the groups the report's refusal columns use."""
    if not case.answerable:
        return "far" if case.kind == "unanswerable-far" else "near" if case.kind == "unanswerable-near" else "adversarial"
    return "answerable"
