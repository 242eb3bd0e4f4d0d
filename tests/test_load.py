"""A bounded load test on 127.0.0.1: 8 concurrent clients × 50 questions, half over the HTTP API and half
through gradio_client; every request must succeed. p50/p95 go to test-artifacts/load.json."""
from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request

import numpy as np
import pytest

from conftest import ARTIFACTS, CORPUS, running_app

pytestmark = pytest.mark.slow  # 8 clients x 50 questions against a served app

CLIENTS = 8
QUESTIONS_EACH = 50


def test_eight_clients_fifty_questions_each(article_data):
    from eval.evalset import load_eval_set

    questions = [c.question for c in load_eval_set()]
    data = article_data
    latencies: dict[str, list[float]] = {"api": [], "gradio": []}
    errors: list[str] = []
    lock = threading.Lock()

    def api_client(n: int) -> None:
        for i in range(QUESTIONS_EACH):
            q = questions[(n * QUESTIONS_EACH + i) % len(questions)]
            started = time.perf_counter()
            try:
                request = urllib.request.Request(url + "/api/ask", data=json.dumps({"question": q}).encode(),
                                                 headers={"Content-Type": "application/json"})
                body = json.loads(urllib.request.urlopen(request, timeout=60).read())
                assert "answer" in body
            except Exception as exc:  # every failure is collected and reported, none ends the run early
                with lock:
                    errors.append(f"api: {exc!r}")
                continue
            with lock:
                latencies["api"].append((time.perf_counter() - started) * 1000)

    def gradio_client(n: int) -> None:
        from gradio_client import Client

        client = Client(url, verbose=False)
        for i in range(QUESTIONS_EACH):
            q = questions[(n * QUESTIONS_EACH + i) % len(questions)]
            started = time.perf_counter()
            try:
                reply = client.predict(q, [], api_name="/chat")
                assert "answer" in reply
            except Exception as exc:
                with lock:
                    errors.append(f"gradio: {exc!r}")
                continue
            with lock:
                latencies["gradio"].append((time.perf_counter() - started) * 1000)

    with running_app(CORPUS, data, RAG_API_RATE_LIMIT="0") as url:
        threads = [threading.Thread(target=api_client if n % 2 == 0 else gradio_client, args=(n,), daemon=True)
                   for n in range(CLIENTS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=400)
        elapsed = time.perf_counter() - started
        assert not any(t.is_alive() for t in threads), "the load run did not finish within its bound"
        served_log = (data / "app.log").read_text()  # before the stop, which cancels idle client streams

    everything = latencies["api"] + latencies["gradio"]
    summary = {"requests": len(everything), "errors": len(errors), "seconds": round(elapsed, 1),
               **{f"{k}_p50_ms": round(statistics.median(v), 1) for k, v in latencies.items() if v},
               **{f"{k}_p95_ms": round(float(np.percentile(v, 95)), 1) for k, v in latencies.items() if v}}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(summary, indent=2))
    print("load:", summary)
    assert not errors, errors[:5]
    assert summary["requests"] == CLIENTS * QUESTIONS_EACH
    assert "Traceback" not in served_log, served_log[-3000:]
