"""A real HTTP server on 127.0.0.1 speaking OpenAI chat completions (plain and streamed) with scripted replies."""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    """`reply(request_json) -> str` writes each answer; `delay` seconds pass before any byte is sent, `pace` seconds
    between the words of a streamed answer."""

    def __init__(self, reply, delay: float = 0.0, pace: float = 0.0) -> None:
        self.reply, self.delay, self.pace, self.requests = reply, delay, pace, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body})
                time.sleep(server.delay)
                text = server.reply(body)
                try:
                    if body.get("stream"):
                        self._stream(body, text)
                    else:
                        self._plain(body, text)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _plain(self, body, text):
                payload = json.dumps({
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, body, text):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = re.findall(r"\S+\s*|\s+", text)  # word by word, like a model
                for piece in pieces + [None]:
                    delta = {"content": piece} if piece is not None else {}
                    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                             "choices": [{"index": 0, "delta": delta, "finish_reason": None if piece is not None else "stop"}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(server.pace)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def numbered_passages(body: dict) -> dict[int, str]:
    """The passages the prompt numbered [1]..[n], from the user message of a request."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    if isinstance(user, list):
        user = "".join(part.get("text", "") for part in user)
    blocks = re.findall(r"^\[(\d+)\] \([^\n]*\)\n(.*?)(?=\n\n\[\d+\] \(|\n\nQuestion)", user, flags=re.S | re.M)
    return {int(n): text for n, text in blocks}
