"""Sentence spans respect abbreviations and closing quotes."""
from rag.sentences import sentence_spans, split_sentences


def test_splits_on_sentence_ends_only():
    text = "Yes. It is vital, e.g. in friendships. She said “stay.” Then left! Why? 3 days."
    assert split_sentences(text) == ["Yes.", "It is vital, e.g. in friendships.", "She said “stay.”",
                                     "Then left!", "Why?", "3 days."]


def test_spans_index_the_text():
    text = "  First one.  Second one?\nThird. "
    assert [text[s:e] for s, e in sentence_spans(text)] == ["First one.", "Second one?", "Third."]


def test_lowercase_after_period_is_not_a_boundary():
    assert split_sentences("Emotional Intimacy vs. Sexual Intimacy differ. ok then.") == [
        "Emotional Intimacy vs. Sexual Intimacy differ. ok then."]
