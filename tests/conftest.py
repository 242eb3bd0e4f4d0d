"""Shared fixtures: offline guard, the real model, a real Chroma on temp dirs, small corpora."""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NETGUARD = Path(__file__).resolve().parent / "netguard"
sys.path.insert(0, str(NETGUARD))

import netguard_impl  # noqa: E402

from rag.settings import Settings  # noqa: E402  (also sets the offline environment)

SEED = Path(__file__).parent / "data" / "seed-emotional-intimacy.txt"
CORPUS = ROOT / "corpus"
FAQ_ARTICLE = CORPUS / "emotional-intimacy.md"


def pytest_collection_modifyitems(items):
    """Browser tests are slow (a chromium and a served app each): `make test` leaves them to `make test-all`."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def offline():
    """Any connection to a non-loopback address fails the test."""
    netguard_impl.install()
    yield
    netguard_impl.uninstall()


def subprocess_env(**extra: str) -> dict:
    """Environment for child processes: offline guard loaded through sitecustomize, quiet libraries."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(NETGUARD), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(RAG_TEST_NETGUARD="1", HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


@pytest.fixture(scope="session")
def embedder():
    from rag.embedder import Embedder

    return Embedder(threads=1)


@pytest.fixture(scope="session")
def article_settings(tmp_path_factory) -> Settings:
    """Settings over the real article with its own temporary index folder."""
    return Settings(corpus_dir=CORPUS, data_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def assistant(article_settings, embedder):
    """An Assistant over the real article, real model and a real Chroma on a temp dir (ingested once)."""
    from rag.assistant import Assistant
    from rag.ingest import ingest
    from rag.store import PassageStore

    store = PassageStore(article_settings)
    ingest(article_settings, store=store, embedder=embedder, progress=False)
    return Assistant(article_settings, store, embedder)


class ArticleIndexBuild:
    """`rag ingest` of the article into a new temporary data folder, in a process of its own.

    Started as soon as the collected tests are known to need it (pytest_collection_finish), so it runs on the
    second core while the first tests run on the first.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="rag-article-index-"))
        self.data = self.folder / "data"
        self.log = open(self.folder / "ingest.log", "w+")
        env = subprocess_env(RAG_CORPUS_DIR=str(CORPUS), RAG_DATA_DIR=str(self.data))
        self.proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", "-q"], env=env, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 600) -> Path:
        code = self.proc.wait(timeout=timeout)
        self.log.seek(0)
        assert code == 0, f"building the article index failed ({code}): {self.log.read()[-3000:]}"
        return self.data

    def close(self) -> None:
        if self.proc.poll() is None:
            stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


ARTICLE_BUILD = pytest.StashKey[ArticleIndexBuild]()


def pytest_collection_finish(session):
    if any("article_index" in item.fixturenames for item in session.items):
        session.config.stash[ARTICLE_BUILD] = ArticleIndexBuild()


def pytest_sessionfinish(session):
    build = session.config.stash.get(ARTICLE_BUILD, None)
    if build is not None:
        build.close()


@pytest.fixture(scope="session")
def article_index(request) -> Path:
    """The article's data folder as `rag ingest` leaves it (index, ONNX export, stamp), built once per session.

    Read-only: a test that needs the index takes its own copy (`article_data`, or copy_index), which is far
    cheaper than building it again (an ingest of the article costs 10-20 s of model time).
    """
    if ARTICLE_BUILD not in request.config.stash:
        request.config.stash[ARTICLE_BUILD] = ArticleIndexBuild()
    return request.config.stash[ARTICLE_BUILD].wait()


def copy_index(source: Path, target: Path) -> Path:
    """A copy of the data folder `source` at `target`, its stamp naming the copy's database (so the copy is as
    current as the original: an unchanged re-ingest of it answers from the stamp, as it would have).

    The ONNX export is hard-linked, not copied (90 MB; rag only ever replaces it whole, never writes into it).
    """
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.lock", "*.log", "onnx"))
    if (source / "onnx").is_dir():
        shutil.copytree(source / "onnx", target / "onnx", copy_function=os.link)
    stamp_path = target / "index-stamp.json"
    if stamp_path.is_file():
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        database = Path(stamp["chroma"][0])
        stamp["chroma"][0] = str((target / database.relative_to(source.resolve())).resolve())
        stamp_path.write_text(json.dumps(stamp), encoding="utf-8")
    return target


def with_model(article_index: Path, target: Path) -> Path:
    """A data folder at `target` with no index but the session's ONNX export (hard-linked): a first ingest in it
    skips the export (~10 s) and loads no torch."""
    shutil.copytree(article_index / "onnx", target / "onnx", copy_function=os.link)
    return target


@pytest.fixture
def model_data(article_index, tmp_path) -> Path:
    """This test's data folder, empty but for the session's ONNX export (see with_model)."""
    return with_model(article_index, tmp_path / "data")


@pytest.fixture
def article_data(article_index, tmp_path) -> Path:
    """This test's own copy of the article's data folder (see article_index)."""
    return copy_index(article_index, tmp_path / "article-data")


SMALL_ARTICLES = {
    "gardening.md": """---
title: Growing Tomatoes
author: A. Gardener
---

# Growing Tomatoes

## Sunlight

Tomatoes need at least six hours of direct sunlight every day. Plants grown in shade produce little fruit.

## Watering

- Water deeply twice a week rather than a little every day.
- Mulch keeps the soil moist and cool in summer.
""",
    "bread.txt": """Baking Sourdough Bread

A sourdough starter is a culture of wild yeast and lactic acid bacteria kept alive with flour and water.

Feeding the starter

Feed the starter every twelve hours at room temperature. A healthy starter doubles in size within eight hours of feeding.
""",
    "bikes.html": """<html><head><title>Bicycle Maintenance</title><script>alert(1)</script></head>
<body><h1>Bicycle Maintenance</h1>
<h2>Chains</h2><p>Clean and lubricate the chain every few hundred kilometres. A dry chain wears the gears quickly.</p>
<h2>Tyres</h2><ul><li>Check tyre pressure every week.</li><li>Replace tyres when the tread is worn flat.</li></ul>
</body></html>
""",
}


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in SMALL_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def stop_process(proc: subprocess.Popen, log=None, timeout: float = 20) -> None:
    """Terminate, then kill if it lingers; close its log file."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
    if log is not None:
        log.close()


def wait_until_served(port: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    """Wait while the server on `port` answers 503 (rag's page while it builds its index; see rag/starting.py)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10):
                return
        except urllib.error.HTTPError as exc:
            if exc.code != 503:
                return
        except OSError:
            pass  # not answering yet
        except Exception:
            return  # it speaks something other than HTTP: listening is all there is to wait for
        time.sleep(0.3)
    raise TimeoutError(f"127.0.0.1:{port} was still starting after {timeout}s")


def start_process(command: list[str], env: dict, port: int, log_path: Path):
    """Start a server process with its output in `log_path`; return (process, log) once it listens on `port` and
    has finished starting."""
    log = open(log_path, "w")
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc, timeout=180)
        wait_until_served(port, proc, timeout=180)
    except BaseException:
        stop_process(proc, log)
        raise
    return proc, log


@contextmanager
def running_app(corpus: Path, data: Path, **extra_env: str):
    """`python app.py` over `corpus`, its index in `data`, on a free loopback port; yields its URL.

    Its output goes to data/app.log.
    """
    port = free_port()
    env = subprocess_env(RAG_CORPUS_DIR=str(corpus), RAG_DATA_DIR=str(data), RAG_PORT=str(port), **extra_env)
    proc, log = start_process([sys.executable, str(ROOT / "app.py")], env, port, data / "app.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc, log)


@pytest.fixture(scope="session")
def served_app(tmp_path_factory, article_index):
    """`python app.py` on a copy of the article's index, on a free loopback port: (url, data folder).

    No rate limit: every test of the session asks from 127.0.0.1 (the limit has its own tests).
    """
    data = copy_index(article_index, tmp_path_factory.mktemp("app") / "data")
    with running_app(CORPUS, data, RAG_API_RATE_LIMIT="0") as url:
        yield url, data


class ServedInThread:
    """An ASGI app served by uvicorn on a free loopback port in a background thread."""

    def __init__(self, app) -> None:
        import threading

        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ServedInThread":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and other files for people to look at (git-ignored)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get, as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
