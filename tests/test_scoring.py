"""The scorer's faithfulness, grounding and hit metrics on hand-made answers."""
from rag.answer_types import Answer, Citation
from rag.passages import Passage
from rag.store import Hit

from eval.evalset import EvalCase
from eval.scoring import faithful_sentences, is_grounded, score_case, summarise

PASSAGE = "Tomatoes need sun. Water them twice a week."


def test_faithfulness_counts_sentences_in_their_cited_passage():
    cites = {1: PASSAGE, 2: "Mulch keeps soil moist."}
    assert faithful_sentences("Tomatoes need sun. [1] Mulch keeps soil moist. [2]", cites) == (2, 2)
    assert faithful_sentences("Tomatoes need sun. [2]", cites) == (0, 1), "wrong passage cited"
    assert faithful_sentences("Tomatoes need sun. [7]", cites) == (0, 1), "marker names no passage"
    assert faithful_sentences("Tomatoes need sun. [1] And love.", cites) == (1, 2), "unmarked text"


def test_grounded_needs_a_quote_or_most_of_its_words():
    case = EvalCase("c", "q", "faq", ("Water them twice a week.",), "r")
    assert is_grounded("Water them twice a week. [1]", case)
    assert is_grounded("You should water tomatoes twice every week [1]", case)
    assert not is_grounded("Tomatoes need sun. [1]", case)


def _hit(pid, text, score):
    return Hit(Passage(pid, "d", "Doc", "S", text, 0, len(text), "paragraph"), score)


def test_score_case_ranks_and_precision():
    case = EvalCase("c", "how often to water?", "section", ("Water them twice a week.",), "r")
    hits = [_hit("a", "Unrelated text.", 0.9), _hit("b", PASSAGE, 0.8)]
    answer = Answer("q", "Unrelated text. [1] Water them twice a week. [2]", False,
                    [Citation(1, "Unrelated text.", "Doc", "S", 0.9), Citation(2, PASSAGE, "Doc", "S", 0.8)])
    record = score_case(case, answer, hits, 12.0, {"a": "Unrelated text.", "b": PASSAGE})
    assert (record["rank"], record["hit1"], record["hit3"], record["mrr"]) == (2, 0.0, 1.0, 0.5)
    assert record["citation_precision"] == 0.5 and record["grounded"] == 1.0
    refused = score_case(EvalCase("u", "q", "unanswerable-far"), Answer("q", "no", True, []), hits, 5.0, {})
    summary = summarise([record, refused])
    assert summary["refusal"] == 1.0 and summary["refusal far"] == 1.0 and summary["hit@3"] == 1.0
    assert summary["faithfulness"] == 1.0


def test_a_pipeline_whose_chunks_split_every_quote_scores_zero_without_failing():
    from types import SimpleNamespace

    from eval.evalset import EvalCase
    from eval.scoring import score_case
    from rag.answer_types import Answer

    case = EvalCase(id="c", question="q?", kind="section", evidence=("the whole quoted sentence",))
    hits = [SimpleNamespace(passage=SimpleNamespace(id="p1", text="the whole", section=""), score=0.5),
            SimpleNamespace(passage=SimpleNamespace(id="p2", text="quoted sentence", section=""), score=0.4)]
    answer = Answer(question="q?", text="the whole [1]", refused=False)
    record = score_case(case, answer, hits, 1.0, {"p1": "the whole", "p2": "quoted sentence"})
    assert record["hit1"] == record["hit3"] == record["mrr"] == 0.0 and record["rank"] is None
