"""A hostile corpus folder cannot leak files outside it, exhaust memory or time, or turn into garbage passages."""
from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys

import pytest

from conftest import FAQ_ARTICLE, copy_index, subprocess_env
from rag.corpus import CorpusError, load_corpus

MEMORY_CAP = 4 * 1024 ** 3  # a first ingest (model, ONNX export) needs ~2.5 GB of address space; the bomb needs more


def _capped_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def rag(*args, env, stdin: str | None = None, timeout: float = 180):
    """`python -m rag.cli ARGS` with a bounded address space, so a blow-up fails the test instead of the machine."""
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=timeout, preexec_fn=_capped_memory)


def alias_bomb() -> str:
    """Nine levels of nine aliases, expanded through `title`: 9**9 strings from a few hundred bytes."""
    lines = ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines += ["title: *i", "---", "", "# Bomb", "", "The zeppelin hangar holds forty airships in winter."]
    return "\n".join(lines) + "\n"


def test_links_out_of_the_corpus_are_never_read_or_served(tmp_path, article_index):
    outside = tmp_path / "outside"
    (outside / "private").mkdir(parents=True)
    (outside / "secret.txt").write_text("The vault passphrase is zebra-quantum-4471.\n", encoding="utf-8")
    (outside / "private" / "notes.md").write_text("# Notes\n\nThe launch code is mango-orbit-9920.\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / FAQ_ARTICLE.name).write_text(FAQ_ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    (corpus / "more").symlink_to(outside / "private", target_is_directory=True)
    (corpus / "env.txt").symlink_to("/proc/self/environ")
    (corpus / "passwd.md").symlink_to("/etc/passwd")
    # The article's index is there already: a file read that should not be would change the corpus and be embedded.
    data = copy_index(article_index, tmp_path / "data")
    env = subprocess_env(RAG_CORPUS_DIR=str(corpus), RAG_DATA_DIR=str(data), LEAK_CANARY="environ-secret-5521")

    ingested = rag("ingest", env=env)
    assert ingested.returncode == 0, ingested.stderr
    assert "from 1 document (4 files skipped, see the warnings);" in ingested.stdout, "only the real article is indexed"
    for name in ("leak.txt", "more", "env.txt", "passwd.md"):
        assert str(corpus / name) in ingested.stderr, f"no warning names {name}"
    assert "Traceback" not in ingested.stderr

    questions = ["What is the vault passphrase?", "zebra quantum passphrase", "What is the launch code?",
                 "LEAK_CANARY environ secret", "root:x:0:0 root /bin/bash",
                 "How long does it take to build emotional intimacy?"]
    asked = rag("ask", "--json", "-", stdin="\n".join(questions) + "\n", env=env)
    assert asked.returncode == 0, asked.stderr
    rows = [json.loads(line) for line in asked.stdout.splitlines()]
    assert len(rows) == len(questions)
    served = json.dumps([[r["answer"], r["citations"]] for r in rows])  # the questions themselves are echoed
    for secret in ("zebra-quantum", "mango-orbit", "environ-secret", "root:x:0"):
        assert secret not in served
    assert rows[-1]["citations"] and not rows[-1]["refused"], "the real article still answers"


def test_a_yaml_alias_bomb_is_refused_quickly_and_the_rest_is_indexed(tmp_path, model_data):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bomb.md").write_text(alias_bomb(), encoding="utf-8")
    (corpus / "good.md").write_text("---\ntitle: Hangars\n---\n\nA hangar keeps airships dry in storms.\n",
                                    encoding="utf-8")
    env = subprocess_env(RAG_CORPUS_DIR=str(corpus), RAG_DATA_DIR=str(model_data))
    ingested = rag("ingest", env=env, timeout=120)
    assert ingested.returncode == 0, ingested.stderr[-2000:]
    assert "from 1 document (1 file skipped, see the warnings);" in ingested.stdout
    assert str(corpus / "bomb.md") in ingested.stderr and "alias" in ingested.stderr
    assert "Traceback" not in ingested.stderr
    asked = rag("ask", "--json", "Where are airships kept dry?", env=env, timeout=120)
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert "zeppelin" not in asked.stdout


def _load(folder, **limits):
    """load_corpus in a child process with a time bound: reading a FIFO in-process would hang the test run."""
    code = ("import sys, json; from rag.corpus import load_corpus\n"
            "docs = load_corpus(sys.argv[1])\n"
            "print(json.dumps({'docs': [d.doc_id for d in docs], 'skipped': [[str(s.path), s.reason] for s in docs.skipped]}))")
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=30,
                          env=subprocess_env())
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_fifos_and_links_are_skipped_with_a_warning_naming_them(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "real.md").write_text("# Real\n\nSome text.\n", encoding="utf-8")
    (corpus / "sub" / "inner.md").write_text("# Inner\n\nMore text.\n", encoding="utf-8")
    (corpus / "alias.md").symlink_to(corpus / "sub" / "inner.md")  # inside the corpus: read
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)  # inside: never followed, no loop
    (corpus / "broken.md").symlink_to(tmp_path / "missing.md")
    os.mkfifo(corpus / "pipe.md")
    loaded, stderr = _load(corpus)
    assert loaded["docs"] == ["alias.md", "real.md", "sub/inner.md"]
    reasons = dict(loaded["skipped"])
    assert set(reasons) == {str(corpus / "pipe.md"), str(corpus / "broken.md")}
    assert "not a regular file" in reasons[str(corpus / "pipe.md")]
    assert f"skipped {corpus / 'pipe.md'}: not a regular file" in stderr


def test_a_corpus_folder_reached_through_a_link_is_read(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.md").write_text("# A\n\nText.\n", encoding="utf-8")
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    assert [d.doc_id for d in load_corpus(tmp_path / "link")] == ["a.md"]


def _skipped(docs, name) -> str:
    return next(s.reason for s in docs.skipped if s.path.name == name)


def test_oversized_and_binary_files_are_skipped_and_reported(tmp_path, caplog):
    (tmp_path / "ok.md").write_text("# Ok\n\nA fine article.\n", encoding="utf-8")
    (tmp_path / "huge.md").write_text("Words repeated. " * 2000, encoding="utf-8")  # 32,000 bytes
    (tmp_path / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(3000))
    (tmp_path / "controls.txt").write_bytes(bytes(range(1, 9)) * 200 + b"text")
    with caplog.at_level(logging.WARNING, logger="rag.corpus"):
        docs = load_corpus(tmp_path, max_file_bytes=10_000)
    assert [d.doc_id for d in docs] == ["ok.md"]
    assert "32,000 bytes" in _skipped(docs, "huge.md") and "RAG_MAX_FILE_BYTES" in _skipped(docs, "huge.md")
    assert "binary" in _skipped(docs, "image.md") and "binary" in _skipped(docs, "controls.txt")
    assert len(docs.skipped) == 3
    assert all(str(tmp_path / name) in caplog.text for name in ("huge.md", "image.md", "controls.txt"))


def test_the_file_size_setting_reaches_the_cli(tmp_path, model_data):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.md").write_text("# Small\n\nTomatoes need six hours of sun.\n", encoding="utf-8")
    (corpus / "big.md").write_text("# Big\n\n" + "Peppers need warm nights to set fruit. " * 100, encoding="utf-8")
    env = subprocess_env(RAG_CORPUS_DIR=str(corpus), RAG_DATA_DIR=str(model_data), RAG_MAX_FILE_BYTES="1000")
    ingested = rag("ingest", env=env)
    assert ingested.returncode == 0, ingested.stderr
    assert "from 1 document (1 file skipped, see the warnings);" in ingested.stdout
    assert str(corpus / "big.md") in ingested.stderr and "RAG_MAX_FILE_BYTES" in ingested.stderr


def test_too_many_files_is_a_clear_error(tmp_path):
    for i in range(6):
        (tmp_path / f"a{i}.md").write_text(f"# A{i}\n\nText {i}.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="more than 5 article files.*RAG_MAX_FILES"):
        load_corpus(tmp_path, max_files=5)
    assert len(load_corpus(tmp_path, max_files=6)) == 6


def test_only_skipped_files_says_so(tmp_path):
    (tmp_path / "bin.md").write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(CorpusError, match="1 file skipped"):
        load_corpus(tmp_path)


CP1252_ARTICLE = "Couples who \u201clisten\u201d build trust \u2013 it\u2019s the caf\u00e9 visits\u2026 \u20ac5 well spent.\n"


@pytest.mark.parametrize("name, data, expected", [
    ("cp1252.txt", CP1252_ARTICLE.encode("cp1252"), CP1252_ARTICLE),
    ("short-cp1252.txt", "It\u2019s fine.\n".encode("cp1252"), "It\u2019s fine.\n"),
    ("german.txt", "Gr\u00fc\u00dfe aus M\u00fcnchen, sch\u00f6ne Stra\u00dfe.\n".encode("cp1252"),
     "Gr\u00fc\u00dfe aus M\u00fcnchen, sch\u00f6ne Stra\u00dfe.\n"),
    ("utf8.txt", CP1252_ARTICLE.encode("utf-8"), CP1252_ARTICLE),
    ("utf8-bom.txt", b"\xef\xbb\xbf" + CP1252_ARTICLE.encode("utf-8"), CP1252_ARTICLE),
    ("utf16.txt", CP1252_ARTICLE.encode("utf-16"), CP1252_ARTICLE),
    ("utf16be.txt", b"\xfe\xff" + CP1252_ARTICLE.encode("utf-16-be"), CP1252_ARTICLE),
    ("russian.txt", ("\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430? "
                     "\u042d\u0442\u043e \u0442\u0435\u043a\u0441\u0442 \u043d\u0430 \u0440\u0443\u0441\u0441\u043a"
                     "\u043e\u043c \u044f\u0437\u044b\u043a\u0435.\n" * 3).encode("cp1251"),
     "\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430? \u042d\u0442\u043e "
     "\u0442\u0435\u043a\u0441\u0442 \u043d\u0430 \u0440\u0443\u0441\u0441\u043a\u043e\u043c \u044f\u0437\u044b"
     "\u043a\u0435.\n" * 3),
])
def test_encodings_are_detected(tmp_path, name, data, expected):
    (tmp_path / name).write_bytes(data)
    [doc] = load_corpus(tmp_path)
    assert doc.text == expected


def test_no_control_characters_reach_the_text(tmp_path):
    prose = "A paragraph of ordinary prose about tomatoes and sunlight. " * 3
    (tmp_path / "a.txt").write_bytes(
        f"{prose}Bell\x07 and escape \x1b[31mred\x1b[0m, next\x85line, del\x7f.\n{prose}".encode("utf-8"))
    (tmp_path / "b.txt").write_bytes(prose.encode() + b"Wait\x85 then \x93quoted\x94 text.\n")
    (tmp_path / "c.txt").write_bytes(prose.encode() + b"Undefined \x81 byte and \x93quoted\x94 text.\n")
    docs = load_corpus(tmp_path)
    assert len(docs) == 3
    for doc in docs:
        assert not any(ord(c) < 32 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in doc.text), repr(doc.text)
    assert "escape [31mred[0m, next\nline, del." in docs[0].text
    assert "Wait\u2026 then \u201cquoted\u201d text." in docs[1].text


def test_html_declared_charset_is_honoured(tmp_path):
    page = ('<html><head><meta charset="windows-1251"><title>\u0422\u0435\u0441\u0442</title></head>'
            '<body><p>\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440.</p></body></html>')
    (tmp_path / "page.html").write_bytes(page.encode("cp1251"))
    [doc] = load_corpus(tmp_path)
    assert doc.title == "\u0422\u0435\u0441\u0442" and "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440." in doc.text


@pytest.mark.parametrize("front, reason", [
    ("title: &t Hello\nsubtitle: *t\n", "alias"),
    ("title: [unclosed\n", "front matter"),
    ("- just\n- a list\n", "not a set of fields"),
    ("title: " + "x" * 9000 + "\n", "8 KB"),
    ("t: " + "[" * 3000 + "]" * 3000 + "\n", "front matter"),
])
def test_bad_front_matter_skips_the_file_with_a_warning(tmp_path, caplog, front, reason):
    (tmp_path / "bad.md").write_text(f"---\n{front}---\n\nBody text.\n", encoding="utf-8")
    (tmp_path / "good.md").write_text("# Good\n\nBody.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rag.corpus"):
        docs = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["good.md"]
    assert reason in _skipped(docs, "bad.md")
    assert str(tmp_path / "bad.md") in caplog.text


def test_front_matter_values_are_short_plain_strings(tmp_path):
    (tmp_path / "a.md").write_text(
        "---\ntitle: No\nauthor: [Ann, Bob]\ndate: 2020-13-45\nviews: 1e99999\nurl: \"https://x.example/\\e[31m\"\n"
        "nested: {a: {b: c}}\n---\n\nBody.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text(f"---\ntitle: {'Long title ' * 100}\n---\n\nBody.\n", encoding="utf-8")
    a, b = load_corpus(tmp_path)
    assert a.title == "No"  # YAML 1.1 would make this the boolean False
    assert a.meta["author"] == "Ann, Bob" and a.meta["date"] == "2020-13-45" and a.meta["views"] == "1e99999"
    assert a.meta["url"] == "https://x.example/[31m"
    assert "nested" not in a.meta
    assert all(isinstance(v, str) for v in a.meta.values())
    assert len(b.title) <= 200 and b.title.startswith("Long title Long title")
