"""OpenAI-compatible chat-completions backend (standard library HTTP), and a small
OpenAI-compatible server that serves the embedded planner model on loopback.

Core module: imports no rclpy. Works with any server speaking ``POST {base_url}/chat/completions``
(OpenAI, llama.cpp's server, vLLM, Ollama's /v1, llama-cpp-python's server).

* The key is read from the environment variable named in the config (never from the file).
* ``response_format: {"type": "json_object"}`` is sent when ``json_mode``; a server that
  rejects it with HTTP 400 is asked again without it.
* Every request has a timeout; connection errors, timeouts, 429 and 5xx are retried a
  bounded number of times with exponential backoff; then :class:`PlannerBackendError`
  names the URL, the problem and the fix.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from robomatrix.scheduler.plan import PlannerBackendError
from robomatrix.scheduler.planner_config import OpenAIConfig
from robomatrix.scheduler.prompt import Prompt

log = logging.getLogger(__name__)

__all__ = ["OpenAICompatBackend", "PlannerChatServer"]


class _Retryable(Exception):
    pass


class OpenAICompatBackend:
    """Planner backend that asks an OpenAI-compatible chat-completions endpoint."""

    name = "openai"

    def __init__(self, config: OpenAIConfig) -> None:
        self.config = config
        self.url = config.base_url.rstrip("/") + "/chat/completions"
        self._json_mode = config.json_mode

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.api_key_env:
            key = os.environ.get(self.config.api_key_env, "")
            if key:
                headers["Authorization"] = f"Bearer {key}"
        return headers

    def complete(self, prompt: Prompt) -> str:
        cfg = self.config
        body: dict[str, Any] = {
            "model": cfg.model,
            "messages": prompt.messages,
            "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens,
        }
        deadline = time.monotonic() + cfg.timeout_s * (cfg.retries + 1) + cfg.backoff_s * (2 ** (cfg.retries + 1))
        delay = cfg.backoff_s
        last = ""
        for attempt in range(cfg.retries + 1):
            if self._json_mode:
                body["response_format"] = {"type": "json_object"}
            else:
                body.pop("response_format", None)
            try:
                return self._post(body)
            except _Retryable as e:
                last = str(e)
                log.warning("LLM endpoint %s, try %d of %d: %s", self.url, attempt + 1, cfg.retries + 1, e)
                if attempt == cfg.retries or time.monotonic() + delay > deadline:
                    break
                time.sleep(delay)
                delay *= 2
        raise PlannerBackendError(f"{last} (after {cfg.retries + 1} tries)")

    def _post(self, body: dict[str, Any]) -> str:
        cfg = self.config
        data = json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url, data=data, headers=self._headers(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=cfg.timeout_s) as response:  # noqa: S310 (http(s) checked)
                raw = response.read()
        except urllib.error.HTTPError as e:
            detail = e.read()[:300].decode("utf-8", "replace")
            if e.code == 400 and self._json_mode and "response_format" in body:
                log.info("endpoint %s rejected response_format (%s); asking without it", self.url, detail)
                self._json_mode = False
                raise _Retryable(f"LLM endpoint {self.url} rejected response_format: {detail}") from e
            if e.code in (401, 403):
                raise PlannerBackendError(
                    f"LLM endpoint {self.url} refused the key (HTTP {e.code}: {detail}); fix: put a valid key in "
                    f"the environment variable {cfg.api_key_env or '(none configured)'}"
                ) from e
            if e.code == 429 or e.code >= 500:
                raise _Retryable(f"LLM endpoint {self.url} answered HTTP {e.code}: {detail}") from e
            raise PlannerBackendError(
                f"LLM endpoint {self.url} answered HTTP {e.code}: {detail}; fix: check base_url and model "
                f"({cfg.model!r}) in config/planner.yaml"
            ) from e
        except urllib.error.URLError as e:
            reason = e.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise _Retryable(
                    f"LLM endpoint {self.url} did not answer within {cfg.timeout_s:g} s; fix: raise "
                    "openai.timeout_s or use a faster model/server"
                ) from e
            raise _Retryable(
                f"LLM endpoint {cfg.base_url} is not reachable: {reason}; fix: check base_url in "
                "config/planner.yaml / start the server"
            ) from e
        except TimeoutError as e:
            raise _Retryable(
                f"LLM endpoint {self.url} did not answer within {cfg.timeout_s:g} s; fix: raise "
                "openai.timeout_s or use a faster model/server"
            ) from e
        except (ConnectionError, OSError) as e:
            raise _Retryable(f"LLM endpoint {cfg.base_url} is not reachable: {e}; fix: start the server") from e
        try:
            payload = json.loads(raw)
            content = payload["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise PlannerBackendError(
                f"LLM endpoint {self.url} did not answer in the chat-completions format ({raw[:200]!r}); "
                "fix: point base_url at an OpenAI-compatible /v1 root"
            ) from e
        if not isinstance(content, str):
            raise PlannerBackendError(f"LLM endpoint {self.url} answered without message content: {payload!r:.200}")
        return content


# --------------------------------------------------------------------------- loopback server


class PlannerChatServer:
    """A real HTTP server on 127.0.0.1 that serves ``POST /v1/chat/completions`` by running
    the embedded planner model on the task and world of the prompt's first user message
    (the format :func:`robomatrix.scheduler.prompt.build_prompt` writes).

    For tests and demos of the OpenAI-compatible path without internet::

        with PlannerChatServer(EmbeddedBackend(library)) as server:
            OpenAIConfig(base_url=server.base_url)
    """

    def __init__(self, backend: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.backend = backend
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
                log.debug("planner server: " + format, *args)

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 (stdlib name)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                try:
                    length = int(self.headers.get("Content-Length", "0"))
                    body = json.loads(self.rfile.read(length))
                    content = outer.answer(body["messages"])
                except (ValueError, KeyError, TypeError) as e:
                    self._send(400, {"error": {"message": f"bad request: {e}"}})
                    return
                self._send(200, {
                    "id": "chatcmpl-robomatrix", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "robomatrix-embedded"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                })  # fmt: skip

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def answer(self, messages: list[dict[str, str]]) -> str:
        user = next(m["content"] for m in messages if m.get("role") == "user")
        world: list[dict[str, str]] = []
        task = ""
        for line in user.splitlines():
            if line.startswith("{"):
                world.append(json.loads(line))
            elif line.startswith("Task: "):
                task = line[len("Task: ") :]
        prompt = Prompt(system="", user=user, task=task, world=tuple(world), schema={})
        return str(self.backend.complete(prompt))

    def start(self) -> PlannerChatServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="planner-chat-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> PlannerChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
