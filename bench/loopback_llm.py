"""An OpenAI-compatible chat endpoint on 127.0.0.1 that misbehaves on purpose, for fault checks.

Shared by ``bench/bench_faults.py`` and ``test/ros/test_faults.py``. ``mode`` says what it does
and may change between requests: ``down`` (nothing listens until :meth:`start`), ``slow``
(answers after 3 s), ``not_json`` (prose), ``not_a_plan`` (JSON without steps) or
``unknown_skill`` (a plan that names a skill the library lacks).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_S = 3.0  # s the "slow" mode waits before answering
ANSWERS = {"slow": "{}", "not_json": "Sure! Happy to help with the blocks.",
           "not_a_plan": json.dumps({"weather": "sunny"}),
           "unknown_skill": json.dumps({"steps": [{"skill": "teleport", "args": {"object": "red block"}}]})}
MODES = ("down", *ANSWERS)


class LoopbackLLM:
    """The endpoint; ``base_url`` goes into a planner config's ``openai.base_url``."""

    def __init__(self, mode: str = "down") -> None:
        if mode not in MODES:
            raise ValueError(f"unknown loopback LLM mode {mode!r}; use one of {', '.join(MODES)}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.mode = mode
        self.calls = 0
        self.server: ThreadingHTTPServer | None = None
        if mode != "down":
            self.start()

    def start(self) -> None:
        """Listen from now on (a no-op when it already does)."""
        if self.server is not None:
            return
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
                outer.calls += 1
                self.rfile.read(int(self.headers["Content-Length"]))
                if outer.mode == "slow":
                    time.sleep(SLOW_S)
                content = ANSWERS.get(outer.mode, "{}")
                body = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): nothing to tell it

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
