"""`rag bench`: warm and cold latency, start-up, ingest, memory and the scaling curve, beside the naive pipeline.

Every timing is the median of several runs (the machine is noisy); figures are written to
bench.md, bench.json and bench.png next to the eval report.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from rag.settings import Settings

from .bench_real import REAL_CORPUS, REAL_PAGES, measure_real_corpus, real_markdown, real_targets_met
from .bench_scale import peak_rss_mb

QUESTION = "How long does it take to build emotional intimacy?"
RUNS = 3  # start-up measurements per figure; their median is reported
TARGETS = {  # issue 7, this 2-core machine
    "ask_p50_ms": ("≤", 12), "cold_ask_s": ("≤", 3), "app_ready_s": ("≤", 6), "reingest_s": ("≤", 0.5),
    "rss_mb": ("≤", 600),
}


def _say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _env(settings: Settings, **extra) -> dict:
    env = dict(os.environ)
    env.update(RAG_CORPUS_DIR=str(settings.corpus_dir.resolve()), RAG_DATA_DIR=str(settings.data_dir.resolve()),
               HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", GRADIO_ANALYTICS_ENABLED="False")
    env.update(extra)
    return env


def _timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_and_measure(command: list[str], env: dict, port: int, ask) -> tuple[float, float]:
    """(seconds from start to HTTP 200 on /, peak RSS in MB after answering through `ask`)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(command)} exited with {proc.returncode}")
            if time.perf_counter() - started > 300:
                raise TimeoutError(f"{' '.join(command)} did not answer within 300 s")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        ready = time.perf_counter() - started
        ask(f"http://127.0.0.1:{port}")
        return ready, peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _ask_api(questions):
    def ask(url: str) -> None:
        for q in questions:
            request = urllib.request.Request(url + "/api/ask", data=json.dumps({"question": q}).encode(),
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=60).read()
    return ask


def _ask_gradio(questions):
    def ask(url: str) -> None:
        from gradio_client import Client

        client = Client(url, verbose=False)
        for q in questions:
            client.predict(q, api_name="/chat")
    return ask


def _latencies(ask, questions, rounds: int = 2) -> list[float]:
    for q in questions[:5]:
        ask(q)
    times = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            ask(q)
            times.append((time.perf_counter() - started) * 1000)
    return times


def _p(values, q) -> float:
    return round(float(np.percentile(values, q)), 2)


def measure_ours(settings: Settings, questions: list[str]) -> dict:
    from rag.assistant import Assistant
    from rag.ingest import ingest
    from rag.onnx_model import onnx_path

    env = _env(settings)
    assistant = Assistant.load(settings, quiet=True)
    _say(f"warm ask over {len(questions)} questions × 2 (embedding through {assistant.embedder.backend})")
    asks = _latencies(assistant.ask, questions)
    encodes = _latencies(lambda q: assistant.embedder.encode([q]), questions)
    out = {"ask_p50_ms": _p(asks, 50), "ask_p95_ms": _p(asks, 95), "encode_p50_ms": _p(encodes, 50)}

    _say("cold `rag ask`, process start to answer")
    out["cold_ask_s"] = round(statistics.median(
        _timed([sys.executable, "-m", "rag.cli", "ask", "--json", QUESTION], env) for _ in range(RUNS)), 2)

    _say("`python app.py` to HTTP 200, then peak RSS after 30 API answers")
    app = str(Path(__file__).resolve().parent.parent / "app.py")
    runs = [_serve_and_measure([sys.executable, app], {**env, "RAG_PORT": str(port)}, port, _ask_api(questions[:30]))
            for port in (_free_port() for _ in range(RUNS))]
    out["app_ready_s"] = round(statistics.median(r[0] for r in runs), 2)
    out["rss_mb"] = round(max(r[1] for r in runs), 1)

    _say("full ingest of the corpus into an empty folder (ONNX model copied in), then unchanged re-ingest")
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        fresh = Settings.from_env(corpus_dir=settings.corpus_dir, data_dir=Path(tmp), chroma_url="")
        model = onnx_path(settings.data_dir)
        if model.exists():
            onnx_path(fresh.data_dir).parent.mkdir(parents=True)
            shutil.copy(model, onnx_path(fresh.data_dir))
        started = time.perf_counter()
        report = ingest(fresh, progress=False)
        out["ingest_s"] = round(time.perf_counter() - started, 2)
        out["ingest_passages"] = report.passages
        fresh_env = _env(fresh)
        out["reingest_s"] = round(statistics.median(
            _timed([sys.executable, "-m", "rag.cli", "ingest", "-q"], fresh_env) for _ in range(RUNS)), 2)
    return out


def measure_naive(settings: Settings, questions: list[str]) -> dict:
    from .baseline import NaiveBaseline

    env = _env(settings)
    _say("naive pipeline: build, warm ask, query embedding")
    started = time.perf_counter()
    naive = NaiveBaseline(settings.corpus_dir)
    out = {"ingest_s": round(time.perf_counter() - started, 2)}
    try:
        asks = _latencies(naive.ask_traced, questions)
        encodes = _latencies(naive.embed_model.get_query_embedding, questions)
        out.update(ask_p50_ms=_p(asks, 50), ask_p95_ms=_p(asks, 95), encode_p50_ms=_p(encodes, 50))
    finally:
        naive.close()
    out["reingest_s"] = out["ingest_s"]  # it keeps no index between runs: every start rebuilds it
    _say("naive pipeline: cold start to answer, minimal Gradio app to HTTP 200 and its peak RSS")
    out["cold_ask_s"] = round(statistics.median(
        _timed([sys.executable, "-m", "eval.baseline", QUESTION], env) for _ in range(RUNS)), 2)
    runs = [_serve_and_measure([sys.executable, "-m", "eval.naive_app", "--port", str(port)], env, port,
                               _ask_gradio(questions[:10]))
            for port in (_free_port() for _ in range(RUNS))]
    out["app_ready_s"] = round(statistics.median(r[0] for r in runs), 2)
    out["rss_mb"] = round(max(r[1] for r in runs), 1)
    return out


def measure_scale(settings: Settings, sizes: list[int]) -> list[dict]:
    env = _env(settings)
    curve = []
    for size in sizes:
        _say(f"scale: {size:,} synthetic passages (the index is built once and kept in {settings.data_dir}/bench)")
        point = {}
        for step in ("build", "serve"):
            done = subprocess.run([sys.executable, "-m", "eval.bench_scale", step, "--size", str(size),
                                   "--data", str(settings.data_dir.resolve())], env=env, capture_output=True,
                                  text=True, check=True, timeout=7200)
            point.update(json.loads(done.stdout.strip().splitlines()[-1]))
        curve.append({k: point[k] for k in ("passages", "p50_ms", "p95_ms", "rss_mb", "ingest_per_s")})
    return curve


def run_bench(settings: Settings | None = None, sizes: list[int] = (1000, 10000, 100000),
              out_dir: Path = Path("eval/out"), naive: bool = True, real_pages: int = REAL_PAGES,
              real_source: Path = REAL_CORPUS) -> dict:
    from .evalset import load_eval_set

    settings = settings or Settings.from_env()
    questions = [c.question for c in load_eval_set()]
    result = measure_ours(settings, questions)
    result["real_corpus"] = (measure_real_corpus(real_pages, real_source, onnx_from=settings.data_dir, say=_say)
                             if real_pages else {"skipped": "--real-pages 0"})
    if "skipped" in result["real_corpus"]:
        _say(f"real corpus skipped: {result['real_corpus']['skipped']}")
    result["naive"] = measure_naive(settings, questions) if naive else {}
    result["scale"] = measure_scale(settings, list(sizes))
    result["ratios"] = {k: round(result[k] / result["naive"][k], 2) for k in result["naive"]
                        if isinstance(result.get(k), (int, float)) and result["naive"].get(k)}
    result["ask_over_encode"] = round(result["ask_p50_ms"] / result["encode_p50_ms"], 2)
    write_bench(result, Path(out_dir))
    return result


def targets_met(result: dict) -> dict[str, bool]:
    met = {k: result[k] <= limit for k, (_, limit) in TARGETS.items()}
    met["ask ≤ 1.5× encode"] = result["ask_over_encode"] <= 1.5
    big = [p for p in result["scale"] if p["passages"] >= 100_000]
    if big:
        met["p50 at 100k ≤ 30 ms"] = big[0]["p50_ms"] <= 30
    met.update(real_targets_met(result.get("real_corpus", {"skipped": ""})))
    return met


def bench_markdown(result: dict) -> str:
    naive = result.get("naive") or {}
    rows = [("warm ask p50 (ms)", "ask_p50_ms"), ("warm ask p95 (ms)", "ask_p95_ms"),
            ("query embedding p50 (ms)", "encode_p50_ms"), ("cold `rag ask`, start to answer (s)", "cold_ask_s"),
            ("`python app.py` to HTTP 200 (s)", "app_ready_s"), ("full ingest (s)", "ingest_s"),
            ("unchanged re-ingest (s)", "reingest_s"), ("serving process peak RSS (MB)", "rss_mb")]
    lines = ["| measure | rag | naive | rag / naive | target |", "|---|---:|---:|---:|---|"]
    for label, key in rows:
        target = f"{TARGETS[key][0]} {TARGETS[key][1]}" if key in TARGETS else ""
        ratio = result["ratios"].get(key)
        lines.append(f"| {label} | {result[key]} | {naive.get(key, '–')} | "
                     f"{f'{ratio}×' if ratio is not None else '–'} | {target} |")
    lines.append(f"| warm ask / query embedding | {result['ask_over_encode']}× | – | – | ≤ 1.5× |")
    lines += ["", "| passages | p50 ms | p95 ms | RSS MB | ingest passages/s |", "|---:|---:|---:|---:|---:|"]
    lines += [f"| {p['passages']:,} | {p['p50_ms']} | {p['p95_ms']} | {p['rss_mb']} | {p['ingest_per_s']} |"
              for p in result["scale"]]
    lines += [""] + real_markdown(result.get("real_corpus", {"skipped": "not measured"}))
    met = targets_met(result)
    lines += ["", "Targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in met.items())]
    return "\n".join(lines)


def write_bench(result: dict, out_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out_dir / "bench.md").write_text("# rag bench\n\n" + bench_markdown(result) + "\n\n![scaling](bench.png)\n",
                                      encoding="utf-8")
    if not result["scale"]:
        return
    sizes = [p["passages"] for p in result["scale"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(sizes, [p["p50_ms"] for p in result["scale"]], "o-", label="p50")
    left.plot(sizes, [p["p95_ms"] for p in result["scale"]], "s--", label="p95")
    left.axhline(30, color="grey", lw=0.8, ls=":", label="target p50 at 100k")
    left.set(xscale="log", xlabel="passages", ylabel="ask latency (ms)", title="Latency vs corpus size")
    left.legend()
    right.plot(sizes, [p["rss_mb"] for p in result["scale"]], "o-", color="tab:red")
    right.set(xscale="log", xlabel="passages", ylabel="peak RSS (MB)", title="Memory vs corpus size")
    fig.tight_layout()
    fig.savefig(out_dir / "bench.png", dpi=110)
    plt.close(fig)
