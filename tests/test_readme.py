"""The README documents every setting and the two set-up commands CI relies on."""
from dataclasses import fields

from conftest import ROOT
from rag.settings import Settings


def test_every_setting_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for f in fields(Settings):
        assert f"`RAG_{f.name.upper()}`" in readme, f"RAG_{f.name.upper()} is not in the README"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme and "make run" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
