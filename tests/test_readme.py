"""The README documents every setting with its default, and the test commands CI relies on."""
import re
from dataclasses import fields

from conftest import ROOT
from rag.settings import RANGES, Settings, SettingsError, coerce

README = (ROOT / "README.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| `RAG_([A-Z0-9_]+)` \| (.+?) \| (.+?) \|$", re.M)


def configuration_table() -> dict[str, str]:
    """{field name: default as written} from the rows of the README's Configuration table."""
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return {name.lower(): default for name, default, _ in ROW.findall(section)}


def test_the_settings_table_has_one_row_per_field_in_order():
    assert list(configuration_table()) == [f.name for f in fields(Settings)]


def test_the_settings_table_gives_each_default_as_it_is():
    for name, written in configuration_table().items():
        default = Settings.__dataclass_fields__[name].default
        value = "" if written == "empty" else written.strip("`")
        try:
            parsed = coerce(name, default, value)
        except SettingsError as exc:
            raise AssertionError(f"the README's default of RAG_{name.upper()} does not parse: {exc}") from None
        assert parsed == default, f"RAG_{name.upper()}: the README says {written}, the default is {default!r}"


def test_every_range_is_a_numeric_setting():
    numeric = {f.name for f in fields(Settings) if type(f.default) in (int, float)}
    assert set(RANGES) <= numeric, set(RANGES) - numeric


def test_ci_runs_everything_and_the_readme_names_both_test_commands():
    assert "make test " in README and "make test-all" in README and "make run" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test-all$", ci, re.M), ci
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r'^test:.*\n(\t.*\n)*\t.*pytest .*-m "not slow"', makefile, re.M), "make test is the fast tier"
    assert re.search(r"^test-all:", makefile, re.M)
