"""A tiny OpenAI-compatible chat server on loopback, for the real HTTP path of the LLM answerer.

``FakeOpenAIServer(mode=...)`` serves ``POST /v1/chat/completions`` (streamed as server-sent
events, or not) and records every request body. Modes: ``ok`` (answers ``reply``), ``429``,
``500``, ``timeout`` (waits longer than the client will), ``malformed`` (a broken stream).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAIServer:
    def __init__(self, mode: str = "ok", reply: str = "", delay_s: float = 5.0) -> None:
        self.mode, self.reply, self.delay_s = mode, reply, delay_s
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                server.handle(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        if self.mode in ("429", "500"):
            payload = json.dumps({"error": {"message": "fake failure", "type": "server_error"}})
            h.send_response(int(self.mode))
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload.encode())
            return
        if self.mode == "timeout":
            time.sleep(self.delay_s)
        h.send_response(200)
        if not body.get("stream"):
            payload = json.dumps({"id": "x", "object": "chat.completion", "created": 0,
                                  "model": body["model"], "choices": [{
                                      "index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": self.reply}}]})
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload.encode())
            return
        h.send_header("Content-Type", "text/event-stream")
        h.end_headers()
        if self.mode == "malformed":
            h.wfile.write(b"data: {\"id\": \"x\", \"choices\": [{\"delta\": {\"content\": \"Half\"")
            h.wfile.write(b"\n\ndata: this is not json\n\n")
            h.wfile.flush()
            return
        for word in self.reply.split(" "):
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0,
                     "model": body["model"],
                     "choices": [{"index": 0, "delta": {"content": word + " "},
                                  "finish_reason": None}]}
            h.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            h.wfile.flush()
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()
