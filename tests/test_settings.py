"""Settings are checked where they are made: a bad RAG_* value, constructor argument or flag is one line, exit 2."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from conftest import CORPUS, ROOT, subprocess_env
from rag.settings import Settings, SettingsError


def run(command: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout)


def one_line_error(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rag: "), out.stderr
    return lines[0]


BAD_VALUES = [
    ("RAG_PORT", "abc", "RAG_PORT must be an integer from 1 to 65535, got 'abc'"),
    ("RAG_PORT", "99999", "RAG_PORT must be an integer from 1 to 65535, got '99999'"),
    ("RAG_TOP_K", "0", "RAG_TOP_K must be an integer of at least 1, got '0'"),
    ("RAG_TOP_K", "six", "RAG_TOP_K must be an integer of at least 1, got 'six'"),
    ("RAG_TOP_K", "6.5", "RAG_TOP_K must be an integer of at least 1, got '6.5'"),
    ("RAG_ONNX", "ture", "RAG_ONNX must be true or false (or 1/0, yes/no, on/off), got 'ture'"),
    ("RAG_KEYWORD_WEIGHT", "nan", "RAG_KEYWORD_WEIGHT must be a number of at least 0, got 'nan'"),
    ("RAG_ANSWER_BIAS", "-inf", "RAG_ANSWER_BIAS must be a finite number, got '-inf'"),
    ("RAG_LLM_TIMEOUT", "0", "RAG_LLM_TIMEOUT must be a number above 0, got '0'"),
    ("RAG_API_RATE_LIMIT", "-1", "RAG_API_RATE_LIMIT must be an integer of at least 0, got '-1'"),
    ("RAG_MAX_QUESTION_CHARS", "4k", "RAG_MAX_QUESTION_CHARS must be an integer of at least 1, got '4k'"),
]


@pytest.mark.parametrize("name, value, message", BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES])
def test_a_bad_variable_stops_the_cli_with_one_line_naming_it(tmp_path, name, value, message):
    env = subprocess_env(RAG_DATA_DIR=str(tmp_path), **{name: value})
    line = one_line_error(run([sys.executable, "-m", "rag.cli", "feedback", "export"], env))
    assert line == f"rag: {message}"


@pytest.mark.parametrize("auth", ["admin", "admin:", ":s3cret-pw", "   "])
def test_a_malformed_auth_is_refused_without_echoing_it(tmp_path, auth):
    env = subprocess_env(RAG_DATA_DIR=str(tmp_path), RAG_AUTH=auth)
    line = one_line_error(run([sys.executable, "-m", "rag.cli", "feedback", "export"], env))
    assert line == 'rag: RAG_AUTH must look like "user:password", with a non-empty user and password'
    assert "s3cret" not in line


def test_a_port_flag_out_of_range_is_refused_before_anything_starts(tmp_path):
    env = subprocess_env(RAG_CORPUS_DIR=str(tmp_path / "no-corpus"), RAG_DATA_DIR=str(tmp_path / "data"))
    line = one_line_error(run([sys.executable, "-m", "rag.cli", "serve", "--port", "99999"], env))
    assert line == "rag: --port must be an integer from 1 to 65535, got '99999'"
    line = one_line_error(run([sys.executable, "-m", "rag.cli", "serve", "--port", "http"], env))
    assert line == "rag: --port must be an integer from 1 to 65535, got 'http'"


@pytest.mark.parametrize("extra, message", [
    ({"RAG_AUTH": "admin"}, 'rag: RAG_AUTH must look like "user:password", with a non-empty user and password'),
    ({"RAG_PORT": "abc"}, "rag: RAG_PORT must be an integer from 1 to 65535, got 'abc'"),
    ({"RAG_MEMORY_INDEX": "maybe"}, "rag: RAG_MEMORY_INDEX must be true or false (or 1/0, yes/no, on/off), "
                                    "got 'maybe'"),
])
def test_the_app_refuses_to_start_with_a_bad_setting(tmp_path, extra, message):
    env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(tmp_path / "data"), **extra)
    assert one_line_error(run([sys.executable, str(ROOT / "app.py")], env, timeout=90)) == message


@pytest.mark.parametrize("spelling, value", [("true", True), ("TRUE", True), (" yes ", True), ("1", True),
                                             ("on", True), ("false", False), ("No", False), ("0", False),
                                             ("off", False)])
def test_booleans_take_the_usual_spellings(monkeypatch, spelling, value):
    monkeypatch.setenv("RAG_ONNX", spelling)
    assert Settings.from_env().onnx is value


def test_environment_values_become_typed_fields(monkeypatch):
    monkeypatch.setenv("RAG_PORT", " 8080 ")
    monkeypatch.setenv("RAG_KEYWORD_WEIGHT", "0.25")
    monkeypatch.setenv("RAG_AUTH", "reader:pa:ss")
    settings = Settings.from_env(port=None)
    assert (settings.port, settings.keyword_weight, settings.auth) == (8080, 0.25, "reader:pa:ss")


@pytest.mark.parametrize("change, message", [
    ({"top_k": 0}, "RAG_TOP_K must be an integer of at least 1, got 0"),
    ({"port": 70000}, "RAG_PORT must be an integer from 1 to 65535, got 70000"),
    ({"port": 80.5}, "RAG_PORT must be an integer from 1 to 65535, got 80.5"),
    ({"onnx": 1}, "RAG_ONNX must be true or false (or 1/0, yes/no, on/off), got 1"),
    ({"llm_timeout": -3}, "RAG_LLM_TIMEOUT must be a number above 0, got -3"),
    ({"answer_top_weight": float("inf")}, "RAG_ANSWER_TOP_WEIGHT must be a finite number, got inf"),
    ({"chroma_url": 5}, "RAG_CHROMA_URL must be text, got 5"),
])
def test_the_constructor_and_replace_check_too(change, message):
    with pytest.raises(SettingsError) as raised:
        Settings(**change)
    assert str(raised.value) == message
    with pytest.raises(SettingsError):
        replace(Settings(), **change)


def test_settings_error_is_a_value_error_that_names_its_field():
    with pytest.raises(ValueError) as raised:
        Settings(top_k=-1)
    assert isinstance(raised.value, SettingsError) and raised.value.field == "top_k"
