"""A manual rendered as plain text (hard-wrapped, indented body, numbered headings) answers like its HTML would."""
from __future__ import annotations

from eval.scoring import faithful_quotes
from rag.assistant import Assistant
from rag.settings import Settings

MANUAL = """Chapter\u00a01.\u00a0Consoles

    A console is the text screen you type commands into when no
    desktop is running, or from a terminal window on the desktop.

1.1.\u00a0Console basics

1.1.1.\u00a0Recovering a sane console

    When the screen goes berserk after you print a binary file to it,
    type "reset" at the command prompt. You may not see the command
    echoed as you type it.

    $ reset

1.1.2.\u00a0Virtual consoles

    The system offers six switchable character consoles. Press
    Ctrl-Alt-F3 to reach the third one, and Ctrl-Alt-F2 to return to
    the desktop session.
"""


def test_a_hard_wrapped_manual_is_quoted_as_sentences_under_its_numbered_sections(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "consoles.txt").write_text(MANUAL, encoding="utf-8")
    assistant = Assistant.load(Settings(corpus_dir=folder, data_dir=tmp_path / "data"), quiet=True)
    answer = assistant.ask("The screen shows garbage after I printed a binary file; how do I fix the console?")
    assert not answer.refused, answer.text
    first = answer.citations[0]
    assert first.section.endswith("1.1. Console basics > 1.1.1. Recovering a sane console"), first.section
    assert 'type "reset" at the command prompt.' in answer.text, "a wrapped sentence is quoted as one line"
    assert "\n    " not in answer.text, answer.text
    faithful, total = faithful_quotes(answer)
    assert total and faithful == total, answer.text
